// Package buildinfo describes this build of landscape and the CPU paths it
// can take here, for `landscape version`.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"landscape/cpu/gemm"
	"landscape/internal/cpuinfo"
)

// Info is what `landscape version` prints.
type Info struct {
	Version   string   // module version ("(devel)" for a build from a checkout)
	Revision  string   // VCS commit, "" when built without VCS information
	Time      string   // commit time (RFC 3339)
	Modified  bool     // built from a working tree with uncommitted changes
	GoVersion string   // toolchain, e.g. "go1.26.8"
	Platform  string   // GOOS/GOARCH
	CPU       string   // processor model (cpuinfo.Model)
	Kernels   []string // CPU micro-kernels this CPU can run, best first (gemm.Impls)
	Kernel    string   // the one in use (gemm.KernelName)
	// BF16Kernels are the bfloat16 kernels (--precision bf16) this CPU can run, best first
	// (gemm.BF16Impls; none: the float32 kernels on bfloat16 numbers), BF16Kernel the one in use.
	BF16Kernels []string
	BF16Kernel  string
}

// revision is the commit `make release` stamps with -ldflags -X (git rev-parse
// HEAD, "-dirty" appended for uncommitted changes): where the go command
// records no VCS settings (-buildvcs=false, a worktree it cannot read) it
// still names the build.
var revision string

// Read collects the Info of this process.
func Read() Info {
	in := Info{Version: "unknown", GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH,
		CPU: cpuinfo.Model(), Kernels: gemm.Impls(), Kernel: gemm.KernelName(),
		BF16Kernels: gemm.BF16Impls(), BF16Kernel: gemm.BF16KernelName()}
	bi, ok := debug.ReadBuildInfo()
	if ok {
		in.Version = bi.Main.Version
		in.vcs(bi)
	}
	if in.Revision == "" && revision != "" {
		rev, dirty := strings.CutSuffix(revision, "-dirty")
		in.Revision, in.Modified = rev, dirty
	}
	return in
}

// vcs reads the vcs.* settings the go command stamps.
func (in *Info) vcs(bi *debug.BuildInfo) {
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			in.Revision = s.Value
		case "vcs.time":
			in.Time = s.Value
		case "vcs.modified":
			in.Modified = s.Value == "true"
		}
	}
}

// String is the text of `landscape version`: one "key: value" line each.
func (in Info) String() string {
	var b strings.Builder
	build := in.Version
	switch {
	case in.Revision != "":
		build = fmt.Sprintf("%s, commit %s", in.Version, in.Revision)
		if in.Time != "" {
			build += " (" + in.Time + ")"
		}
		if in.Modified {
			build += " with uncommitted changes"
		}
	case in.Version == "(devel)":
		build += ", built without VCS information"
	}
	fmt.Fprintf(&b, "landscape: %s\n", build)
	fmt.Fprintf(&b, "go:        %s %s\n", in.GoVersion, in.Platform)
	fmt.Fprintf(&b, "cpu:       %s\n", in.CPU)
	fmt.Fprintf(&b, "kernels:   %s (in use: %s)\n", strings.Join(in.Kernels, ", "), in.Kernel)
	if len(in.BF16Kernels) > 0 {
		fmt.Fprintf(&b, "bf16:      %s (in use: %s)\n", strings.Join(in.BF16Kernels, ", "), in.BF16Kernel)
	} else if in.BF16Kernel != "" {
		fmt.Fprintf(&b, "bf16:      the float32 kernels (%s) on bfloat16 numbers\n", in.BF16Kernel)
	}
	return b.String()
}
