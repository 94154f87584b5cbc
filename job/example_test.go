package job_test

import (
	"context"
	"fmt"
	"runtime"

	"landscape/data"
	"landscape/job"
)

// A Go front end of its own scans as landscape scan does (README, From Go); compiled, not run.
func ExamplePrepareScan() {
	sc, err := job.PrepareScan(job.ScanSpec{Model: "resnet20", Weights: "resnet20.safetensors",
		Input: job.Input{Data: "cifar10:./cifar-10-batches-bin", Options: data.Options{Split: "test"}},
		X:     "-1:1:51", Y: "-1:1:51", Norm: "filter", Ignore: "biasbn", DirType: "weights",
		Device: job.Device{Device: "cpu", Precision: "fp32"}, Workers: runtime.NumCPU(), Out: "resnet20_2d.npz"})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := sc.Run(context.Background(), nil); err != nil {
		fmt.Println(err)
		return
	}
	sf := sc.Surface // sf.Loss[j*len(sf.X)+i] is L(x_i, y_j); the file resnet20_2d.npz holds it too
	fmt.Println(sf.Loss[0])
}
