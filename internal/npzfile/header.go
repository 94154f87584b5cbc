package npzfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// npyHeader is the dict of a .npy file: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}.
type npyHeader struct {
	descr   string
	fortran bool
	shape   []int
}

// maxHeader bounds the header length a .npy file may claim (numpy's own reader refuses
// headers over 10000 bytes unless told otherwise).
const maxHeader = 1 << 16

// readHeader reads a .npy header — magic "\x93NUMPY", version 1.0 (2-byte length), 2.0 or
// 3.0 (4-byte length), then a Python dict literal — from a member of avail bytes; the length
// claimed is checked against avail before the header is read.
func readHeader(r io.Reader, avail int64) (npyHeader, error) {
	var pre [10]byte
	if _, err := io.ReadFull(r, pre[:8]); err != nil {
		return npyHeader{}, fmt.Errorf("not a .npy array: %w", noEOF(err))
	}
	if string(pre[:6]) != "\x93NUMPY" {
		return npyHeader{}, errors.New("not a .npy array (no \\x93NUMPY magic)")
	}
	var n, used int64
	switch pre[6] {
	case 1:
		if _, err := io.ReadFull(r, pre[8:10]); err != nil {
			return npyHeader{}, fmt.Errorf("not a .npy array: %w", noEOF(err))
		}
		n, used = int64(binary.LittleEndian.Uint16(pre[8:])), 10
	case 2, 3:
		var l [4]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return npyHeader{}, fmt.Errorf("not a .npy array: %w", noEOF(err))
		}
		n, used = int64(binary.LittleEndian.Uint32(l[:])), 12
	default:
		return npyHeader{}, fmt.Errorf(".npy format version %d.%d; want 1.0, 2.0 or 3.0", pre[6], pre[7])
	}
	if n > maxHeader || n > avail-used {
		return npyHeader{}, fmt.Errorf(".npy header claims %d bytes; the member holds %d after the preamble", n, max(avail-used, 0))
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return npyHeader{}, fmt.Errorf(".npy header: %w", noEOF(err))
	}
	h, err := parseDict(string(b))
	if err != nil {
		return npyHeader{}, fmt.Errorf(".npy header %q: %w", strings.TrimSpace(string(b)), err)
	}
	return h, nil
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// lit scans a Python literal.
type lit struct {
	s string
	i int
}

func (p *lit) space() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

// eat skips spaces and then c, reporting whether c was there.
func (p *lit) eat(c byte) bool {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str reads a quoted string without escapes.
func (p *lit) str() (string, error) {
	p.space()
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", fmt.Errorf("want a quoted string at byte %d", p.i)
	}
	q := p.s[p.i]
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", errors.New("unterminated string")
	}
	v := p.s[p.i+1 : p.i+1+end]
	p.i += end + 2
	return v, nil
}

// word reads an identifier or number.
func (p *lit) word() string {
	p.space()
	j := p.i
	for p.i < len(p.s) && (p.s[p.i] == '_' || p.s[p.i] >= '0' && p.s[p.i] <= '9' || p.s[p.i]|0x20 >= 'a' && p.s[p.i]|0x20 <= 'z') {
		p.i++
	}
	return p.s[j:p.i]
}

// shape reads a tuple of non-negative integers: (), (3,), (2, 3).
func (p *lit) shape() ([]int, error) {
	if !p.eat('(') {
		return nil, errors.New("shape: want a tuple")
	}
	sh := []int{}
	for !p.eat(')') {
		w := strings.TrimSuffix(p.word(), "L") // Python 2 wrote 3L
		d, err := strconv.ParseInt(w, 10, 64)
		if err != nil || d < 0 || d > math.MaxInt32*int64(math.MaxInt32) {
			return nil, fmt.Errorf("shape: %q is not a dimension", w)
		}
		sh = append(sh, int(d))
		if !p.eat(',') && !p.eat(')') {
			return nil, errors.New("shape: want ',' or ')'")
		} else if p.s[p.i-1] == ')' {
			break
		}
	}
	return sh, nil
}

// parseDict parses the header dict; its three keys are required, in any order.
func parseDict(s string) (npyHeader, error) {
	var h npyHeader
	p := &lit{s: s}
	if !p.eat('{') {
		return h, errors.New("want a dict")
	}
	seen := map[string]bool{}
	for !p.eat('}') {
		k, err := p.str()
		if err != nil {
			return h, err
		}
		if seen[k] {
			return h, fmt.Errorf("key %q twice", k)
		}
		seen[k] = true
		if !p.eat(':') {
			return h, fmt.Errorf("want ':' after %q", k)
		}
		switch k {
		case "descr":
			if h.descr, err = p.str(); err != nil {
				return h, fmt.Errorf("descr: %w (structured dtypes are not read)", err)
			}
		case "fortran_order":
			switch w := p.word(); w {
			case "True", "False":
				h.fortran = w == "True"
			default:
				return h, fmt.Errorf("fortran_order %q, want True or False", w)
			}
		case "shape":
			if h.shape, err = p.shape(); err != nil {
				return h, err
			}
		default:
			return h, fmt.Errorf("unknown key %q", k)
		}
		if !p.eat(',') && !p.eat('}') {
			return h, errors.New("want ',' or '}'")
		} else if p.s[p.i-1] == '}' {
			break
		}
	}
	if p.space(); p.i != len(p.s) {
		return h, errors.New("text after the dict")
	}
	if !seen["descr"] || !seen["fortran_order"] || !seen["shape"] {
		return h, errors.New("want keys 'descr', 'fortran_order' and 'shape'")
	}
	return h, nil
}
