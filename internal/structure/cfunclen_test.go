package structure

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// cSourceGlobs are the CUDA and C++ sources whose functions TestNoLongFunctions also measures:
// the kernels and their headers, and the host emulator that runs them.
var cSourceGlobs = []string{"kernels/*.cu", "kernels/*.cuh", "kernels/emu/*.cpp", "kernels/emu/*.h"}

// cLongFunctions returns the functions over max lines in the files cSourceGlobs names under
// root, sorted by key.
func cLongFunctions(root string, max int) ([]longFunc, error) {
	var out []longFunc
	for _, g := range cSourceGlobs {
		paths, err := filepath.Glob(filepath.Join(root, g))
		if err != nil {
			return nil, err
		}
		for _, p := range paths {
			src, err := os.ReadFile(p)
			if err != nil {
				return nil, err
			}
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return nil, err
			}
			for _, f := range cFunctions(string(src)) {
				if f.lines > max {
					out = append(out, longFunc{key: filepath.ToSlash(rel) + ":" + f.name, line: f.line, lines: f.lines})
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out, nil
}

// cFunc is one function definition found by cFunctions.
type cFunc struct {
	name        string
	line, lines int // first line of its declaration (1-based) and its length in lines
}

var (
	cGenerated = regexp.MustCompile(`(?m)^// Code generated .* DO NOT EDIT\.$`)
	// cAggregate starts a brace that holds declarations: a namespace, a struct, class, union or
	// enum (template heads included), or a linkage block (extern "C", its string blanked).
	cAggregate = regexp.MustCompile(`^(template\s*<[^{]*>\s*)?(typedef\s+)?(namespace|struct|class|union|enum)\b|^extern\s*"\s*"$`)
	cCallee    = regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_:~]*)\s*\(`)
)

// cNotNames are identifiers followed by "(" in a declaration that are not the function's name.
var cNotNames = map[string]bool{"__launch_bounds__": true, "__align__": true, "__attribute__": true,
	"__declspec": true, "alignas": true, "decltype": true, "sizeof": true, "noexcept": true}

// cFunctions finds the function definitions of a C++ or CUDA source by matching braces, after
// blanking comments, string and character literals and preprocessor lines (with their
// continuations; so a function written inside a macro is not counted). At namespace, struct or
// class level, a brace whose declaration (the text since the previous ";", "{" or "}"), its
// template head left out, contains ")" and no "=" before its first "(" opens a function body: free functions, kernels, member
// functions and constructors. Everything up to its matching brace (blocks and lambdas
// included) belongs to that function, and its length is counted as for Go: from the line where
// its declaration starts (a template head included, the doc comment not) to the line of its
// closing brace. Other braces (initializers, namespace-level lambdas) are skipped whole. A file
// with Go's "Code generated … DO NOT EDIT." line has none.
func cFunctions(src string) []cFunc {
	if cGenerated.MatchString(src) {
		return nil
	}
	code := cBlank(src)
	var out []cFunc
	start := 0 // where the current declaration's text begins
	for i := 0; i < len(code); i++ {
		switch code[i] {
		case ';', '}':
			start = i + 1
		case '{':
			decl := strings.TrimSpace(code[start:i])
			end := cMatch(code, i)
			if cAggregate.MatchString(decl) || decl == "" {
				start = i + 1 // descend: its members are declarations
				continue
			}
			if head := cUntemplated(decl); strings.Contains(head, ")") && !strings.Contains(head[:strings.IndexByte(head, '(')], "=") {
				from := start + strings.Index(code[start:i], decl)
				first := strings.Count(code[:from], "\n") + 1
				out = append(out, cFunc{name: cName(decl), line: first, lines: strings.Count(code[from:end], "\n") + 1})
			}
			i, start = end, end+1
		}
	}
	return out
}

// cUntemplated returns decl without its template head (template <…>, nested angle brackets and
// default arguments included), "" if what is left has no "(".
func cUntemplated(decl string) string {
	if strings.HasPrefix(decl, "template") {
		depth := 0
		for k := 0; k < len(decl); k++ {
			if decl[k] == '<' {
				depth++
			} else if decl[k] == '>' {
				if depth--; depth == 0 {
					decl = decl[k+1:]
					break
				}
			}
		}
	}
	if !strings.Contains(decl, "(") {
		return ""
	}
	return decl
}

// cName is the function's name in its declaration: the first identifier before a "(" that is
// not an attribute (such as __launch_bounds__(128)) or a template argument.
func cName(decl string) string {
	for _, m := range cCallee.FindAllStringSubmatchIndex(decl, -1) {
		name := decl[m[2]:m[3]]
		if !cNotNames[name] && strings.Count(decl[:m[2]], "<") == strings.Count(decl[:m[2]], ">") {
			return name
		}
	}
	return "?"
}

// cMatch returns the index of the brace closing the one at open (the end of code if none does).
func cMatch(code string, open int) int {
	depth := 0
	for j := open; j < len(code); j++ {
		switch code[j] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return j
			}
		}
	}
	return len(code) - 1
}

// cBlank returns src with comments, string and character literals and preprocessor lines
// replaced by spaces, newlines kept, so that braces and parentheses in them do not count and
// line numbers stay.
func cBlank(src string) string {
	b := []byte(src)
	blank := func(from, to int) {
		for k := from; k < to && k < len(b); k++ {
			if b[k] != '\n' {
				b[k] = ' '
			}
		}
	}
	lineStart := true
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case lineStart && c == '#':
			j := i
			for j < len(b) && (b[j] != '\n' || (j > 0 && b[j-1] == '\\')) {
				j++
			}
			blank(i, j)
			i = j
		case c == '/' && i+1 < len(b) && b[i+1] == '/':
			j := strings.IndexByte(src[i:], '\n')
			if j < 0 {
				j = len(b) - i
			}
			blank(i, i+j)
			i += j
		case c == '/' && i+1 < len(b) && b[i+1] == '*':
			j := strings.Index(src[i+2:], "*/")
			if j < 0 {
				j = len(b) - i - 4
			}
			blank(i, i+j+4)
			i += j + 4
		case c == '"' || c == '\'':
			j := i + 1
			for j < len(b) && b[j] != c && b[j] != '\n' {
				if b[j] == '\\' {
					j++
				}
				j++
			}
			blank(i+1, j) // keep the quotes: extern "C" stays recognisable
			i = j + 1
		default:
			if c == '\n' {
				lineStart = true
			} else if c != ' ' && c != '\t' {
				lineStart = false
			}
			i++
			continue
		}
		lineStart = false
	}
	return string(b)
}

// TestCFunctionsFound checks the C scanner: a kernel with an attribute, a template function, a
// struct's constructor and method, a namespace, an initializer and braces in comments, strings
// and a macro, with their lengths.
func TestCFunctionsFound(t *testing.T) {
	src := `// a { comment
#define BODY(x) { \
    x; }
namespace impl {
constexpr int table[] = {1, 2, 3};
template <int N> struct Geom {
    int n;
    __device__ Geom(int a) : n(a) { }
    __device__ int twice() const {
        return 2 * n; // }
    }
};
template <int BM, bool B, typename A = Act<B>>
__device__ void step(float (&acc)[BM]) {
    const char *s = "}{";
    for (int i = 0; i < BM; i++) {
        acc[i] = 0;
    }
}
} // namespace impl
extern "C" {
__global__ void __launch_bounds__(128) kern(int n) { step<16, true>(0); }
}
`
	got := cFunctions(src)
	want := []cFunc{{"Geom", 8, 1}, {"twice", 9, 3}, {"step", 13, 7}, {"kern", 22, 1}}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("function %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	if got := cFunctions("// Code generated by x; DO NOT EDIT.\n" + src); len(got) != 0 {
		t.Errorf("generated file: got %+v, want nothing", got)
	}
}
