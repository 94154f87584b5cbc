package cpuinfo

import (
	"runtime"
	"testing"
)

func TestParseProcCPUInfo(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"x86", "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R)   Processor\nflags\t: fpu\n\nprocessor\t: 1\nmodel name\t: other\n", "Intel(R) Xeon(R) Processor"},
		{"graviton3", "processor\t: 0\nBogoMIPS\t: 2100.00\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x1\nCPU part\t: 0xd40\n", "ARM Neoverse-V1"},
		{"unknown part", "CPU implementer\t: 0x61\nCPU part\t: 0x032\n", "Apple part 0x32"},
		{"riscv", "processor\t: 0\nisa\t\t: rv64imafdc\nuarch\t\t: sifive,u74-mc\n", "sifive,u74-mc"},
		{"empty", "processor\t: 0\n", ""},
	} {
		if got := parseProcCPUInfo(tc.text); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestModel(t *testing.T) {
	m := Model()
	if m == "" {
		t.Fatal("Model() is empty")
	}
	t.Logf("Model() = %q (%s)", m, runtime.GOARCH)
}
