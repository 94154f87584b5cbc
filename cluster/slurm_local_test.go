package cluster

import (
	"bytes"
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"landscape/internal/testenv"
	"landscape/internal/testinput"
	"landscape/job"
	"landscape/model"
	"landscape/surface"
)

// localSlurm starts a one-node Slurm cluster (scripts/slurm-local.sh) whose state lives in a
// temporary folder, stops it when the test ends, and returns the environment that reaches it.
// It skips where the cluster cannot run (not root, Slurm or munge not installed), except where
// testenv.Required(testenv.Slurm) (CI, .ci/run), where it fails.
func localSlurm(t *testing.T) []string {
	t.Helper()
	skip := func(why string) { testenv.Missing(t, testenv.Slurm, "one-node Slurm: "+why) }
	if os.Geteuid() != 0 {
		skip("not root (a local slurmd must run as root to start jobs)")
	}
	if p := os.Getenv("PATH"); !strings.Contains(p, "/usr/sbin") {
		t.Setenv("PATH", p+":/usr/sbin:/sbin") // where Debian puts the daemons
	}
	for _, b := range []string{"munged", "slurmctld", "slurmd", "sbatch", "scontrol", "sinfo"} {
		if _, err := exec.LookPath(b); err != nil {
			skip(b + " not found (Debian packages slurm-wlm and munge; scripts/deps.sh installs them)")
		}
	}
	dir := filepath.Join(t.TempDir(), "slurm")
	env := append(os.Environ(), "SLURMCTLD_PORT="+freePort(t), "SLURMD_PORT="+freePort(t), "SLURM_CONF="+filepath.Join(dir, "slurm.conf"))
	script, err := filepath.Abs("../scripts/slurm-local.sh")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if out, err := exec.Command(script, "stop", dir).CombinedOutput(); err != nil {
			t.Errorf("stopping the local Slurm: %v\n%s", err, out)
		}
		if t.Failed() {
			for _, l := range []string{"slurmctld.log", "slurmd.log"} {
				b, _ := os.ReadFile(filepath.Join(dir, l))
				t.Logf("%s (last 3000 bytes):\n%s", l, b[max(0, len(b)-3000):])
			}
		}
	})
	start := exec.Command(script, "start", dir)
	start.Env = env
	if out, err := start.CombinedOutput(); err != nil {
		t.Fatalf("starting a one-node Slurm (%s start %s): %v\n%s", script, dir, err, out)
	}
	return env
}

// freePort returns a TCP port nothing listens on now.
func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
}

// buildLandscape builds the landscape command into dir.
func buildLandscape(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "landscape")
	cmd := exec.Command("go", "build", "-o", bin, "landscape/cmd/landscape")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// scanFixture writes random resnet8 weights and 40 random 8x8 MNIST-format test images, and
// returns the flags of a 5x4 (non-square) scan of them.
func scanFixture(t *testing.T, dir string) []string {
	t.Helper()
	w := filepath.Join(dir, "resnet8.safetensors")
	testinput.Weights(t, w, "resnet8", model.Config{InC: 1, HW: 8, Classes: 10}, 1)
	images := testinput.IDX(t, dir, 40, 8, 7, 8)
	return []string{"--model", "resnet8", "--weights", w, "--data", images, "--split", "test",
		"--x", "-1:1:5", "--y", "-1:1:4", "--batch-size", "16", "--device", "cpu", "--workers", "1"}
}

var jobLine = regexp.MustCompile(`(?m)^(array|merge) job ([0-9]+)$`)

// waitJob polls scontrol until the job has ended and returns its final state.
func waitJob(t *testing.T, env []string, id string, limit time.Duration) string {
	t.Helper()
	state := regexp.MustCompile(`JobState=(\S+)`)
	deadline := time.Now().Add(limit)
	last := ""
	for time.Now().Before(deadline) {
		cmd := exec.Command("scontrol", "show", "job", "-o", id)
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("scontrol show job %s: %v", id, err)
		}
		m := state.FindSubmatch(out)
		if m == nil {
			t.Fatalf("scontrol show job %s: no JobState in %q", id, out)
		}
		last = string(m[1])
		switch last {
		case "PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "REQUEUED", "RESIZING", "SUSPENDED":
			time.Sleep(500 * time.Millisecond)
			continue
		}
		return last
	}
	t.Fatalf("job %s still %s after %v", id, last, limit)
	return ""
}

// On a real one-node Slurm, `landscape slurm --submit` runs a 5x4 scan as a job array of 4
// shards and merges them after it; the merged file equals the unsharded scan, values and
// computed mask bit for bit (the whole file byte for byte), and each shard file holds exactly
// its own points.
func TestSlurmOneNode(t *testing.T) {
	env := localSlurm(t)
	dir := t.TempDir()
	bin := buildLandscape(t, dir)
	scan := scanFixture(t, dir)
	runs := filepath.Join(dir, "runs")
	os.Mkdir(runs, 0o755)
	out := filepath.Join(runs, "full.npz")

	cmd := exec.Command(bin, append([]string{"slurm", "--shards", "4", "--time", "10:00", "--submit", "--"}, append(scan, "--out", out)...)...)
	cmd.Env, cmd.Dir = env, dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("landscape slurm --submit: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	ids := map[string]string{}
	for _, m := range jobLine.FindAllStringSubmatch(stdout.String(), -1) {
		ids[m[1]] = m[2]
	}
	if ids["array"] == "" || ids["merge"] == "" {
		t.Fatalf("landscape slurm printed no job ids:\n%s", stdout.String())
	}
	logs := func() string {
		var b strings.Builder
		paths, _ := filepath.Glob(filepath.Join(runs, "*.log"))
		for _, p := range paths {
			c, _ := os.ReadFile(p)
			fmt.Fprintf(&b, "== %s\n%s", p, c)
		}
		return b.String()
	}
	if st := waitJob(t, env, ids["merge"], 5*time.Minute); st != "COMPLETED" {
		t.Fatalf("the merge job %s ended %s\n%s", ids["merge"], st, logs())
	}

	whole := filepath.Join(dir, "whole.npz")
	if o, err := exec.Command(bin, append(append([]string{"scan"}, scan...), "--out", whole, "--quiet")...).CombinedOutput(); err != nil {
		t.Fatalf("the unsharded scan: %v\n%s", err, o)
	}
	want, err := surface.Load(whole)
	if err != nil {
		t.Fatal(err)
	}
	got, err := surface.Load(out)
	if err != nil {
		t.Fatalf("the merged file: %v\n%s", err, logs())
	}
	if d := got.Settings.Diff(want.Settings); len(d) > 0 || got.Len() != 20 {
		t.Fatalf("merged settings differ from the unsharded scan's: %v (%d points)", d, got.Len())
	}
	for k := range want.Len() {
		if !want.Computed[k] || got.Computed[k] != want.Computed[k] ||
			math.Float64bits(got.Loss[k]) != math.Float64bits(want.Loss[k]) || math.Float64bits(got.Acc[k]) != math.Float64bits(want.Acc[k]) {
			t.Errorf("point %d: merged %v %v %v, unsharded %v %v %v", k, got.Computed[k], got.Loss[k], got.Acc[k], want.Computed[k], want.Loss[k], want.Acc[k])
		}
	}
	a, _ := os.ReadFile(out)
	b, _ := os.ReadFile(whole)
	if !bytes.Equal(a, b) {
		t.Error("the merged file is not byte for byte the unsharded scan's file")
	}
	for i := range 4 {
		p := job.ShardPath(out, i)
		s, err := surface.Load(p)
		if err != nil {
			t.Fatalf("shard %d: %v", i, err)
		}
		if s.Settings.Shard != fmt.Sprintf("%d/4", i) {
			t.Errorf("%s: settings shard %q", p, s.Settings.Shard)
		}
		for k := range s.Len() {
			if s.Computed[k] != (k%4 == i) {
				t.Errorf("%s: point %d computed %v", p, k, s.Computed[k])
			}
		}
	}
}
