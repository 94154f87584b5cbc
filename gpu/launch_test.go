package gpu

import (
	"strings"
	"testing"
)

// TestPackArgsKinds: the generated wrappers pass typed values; packArgs refuses any other kind
// and an int that does not fit the kernel's 32-bit parameter, naming the parameter.
func TestPackArgsKinds(t *testing.T) {
	good := []any{ptr(256), ptr(512), cint64(3), cint(4)}
	slots, err := packArgs("avgpool", good)
	if err != nil {
		t.Fatal(err)
	}
	if slots[0] != 256 || slots[2] != 3 || slots[3] != 4 {
		t.Fatalf("slots %v", slots)
	}
	for _, c := range []struct {
		args []any
		want string
	}{
		{[]any{ptr(256), cint64(3), ptr(512), cint(4)}, "argument 1 (out): want a device pointer"},
		{[]any{ptr(256), ptr(512), cint(3), cint(4)}, "argument 2 (planes): want a C long long"},
		{[]any{ptr(256), ptr(512), 3, cint(4)}, "argument 2 (planes): want a C long long, got int"},
		{[]any{ptr(256), ptr(512), cint64(3), cint(1 << 40)}, "(HW): 1099511627776 overflows int32"},
		{[]any{ptr(256), ptr(512), cint64(3)}, "takes 4 arguments"},
	} {
		if _, err := packArgs("avgpool", c.args); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.args, err, c.want)
		}
	}
	// Through the generated wrapper the kinds are the struct's: only the values can be wrong.
	f := newFake(1 << 20)
	if err := launchAvgpool(f, kAvgpool, dim{1, 1, 1}, dim{1, 1, 1}, avgpoolArgs{In: 1, Out: 2, Planes: 1, HW: 1 << 40}); err == nil || !strings.Contains(err.Error(), "overflows") {
		t.Errorf("wrapper with an overflowing HW: %v", err)
	}
}
