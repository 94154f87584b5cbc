package job

import (
	"context"
	"strings"
	"testing"

	"landscape/cpu"
	"landscape/direction"
	"landscape/engine"
	"landscape/model"
)

// TestDevicePrecision: bf16 runs on the CPU engine (its options say so), tf32 does not, and the
// errors name the flag.
func TestDevicePrecision(t *testing.T) {
	for _, c := range []struct {
		d    Device
		want string // "" valid, else a substring of the error
	}{
		{Device{Device: "cpu", Precision: "fp32"}, ""},
		{Device{Device: "cpu", Precision: "bf16"}, ""},
		{Device{Device: "auto", Precision: "bf16"}, ""},
		{Device{Device: "cpu", Precision: "tf32"}, "--precision tf32 needs --device gpu"},
		{Device{Device: "cpu", Precision: "fp16"}, "--precision \"fp16\""},
	} {
		err := c.d.Validate()
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%+v: Validate() = %v, want %q", c.d, err, c.want)
		}
	}
	if o := (Device{Device: "cpu", Precision: "bf16"}).CPUOptions(); !o.BF16 {
		t.Errorf("bf16 CPU options %+v", o)
	}
	if o := (Device{Device: "cpu", Precision: "fp32"}).CPUOptions(); o.BF16 {
		t.Errorf("fp32 CPU options %+v", o)
	}
	// Open gives bf16 CPU engines: their losses differ from the fp32 ones.
	p, err := engine.RandomProblem("resnet8", model.Config{InC: 1, HW: 8, Classes: 10}, 8, 1,
		direction.Options{Norm: "filter", Ignore: "biasbn", DirType: "weights"})
	if err != nil {
		t.Fatal(err)
	}
	loss := map[string]float64{}
	for _, prec := range []string{"fp32", "bf16"} {
		es, err := Device{Device: "cpu", Precision: prec}.Open(context.Background(), p, 1, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		s, err := es.List[0].Evaluate(context.Background(), []engine.Point{{A: 0.1}}, 0, 8)
		es.Close()
		if err != nil {
			t.Fatal(err)
		}
		loss[prec] = s[0].Loss
	}
	if loss["fp32"] == loss["bf16"] {
		t.Errorf("bf16 engines computed the fp32 loss %v", loss["fp32"])
	}
}

// TestValidateCPUKernelsEnv checks that a kernel family the machine lacks, named in
// $LANDSCAPE_CPU_KERNELS, is refused by Validate naming the variable.
func TestValidateCPUKernelsEnv(t *testing.T) {
	t.Setenv(cpu.KernelsEnv, "sse9")
	err := (Device{Device: "cpu", Precision: "fp32"}).Validate()
	if err == nil || !strings.Contains(err.Error(), cpu.KernelsEnv) {
		t.Fatalf("Validate with $%s=sse9: %v, want an error naming it", cpu.KernelsEnv, err)
	}
}
