// Package tools holds the Python helpers; its tests run them against landscape's Go readers.
package tools

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio/npz"

	"landscape/data"
	"landscape/direction"
	"landscape/internal/testenv"
	"landscape/model"
	"landscape/surface"
)

func run(t *testing.T, wantOK bool, args ...string) string {
	t.Helper()
	// Reading the scripts makes go test's cache depend on them (it tracks the files the test
	// process opens, not those a child opens).
	for _, f := range []string{"paper_h5.py", "safetensors_np.py"} {
		if _, err := os.ReadFile(f); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(testenv.PythonPath, args...).CombinedOutput()
	if (err == nil) != wantOK {
		t.Fatalf("%s: error %v, want ok=%v\n%s", strings.Join(args, " "), err, wantOK, out)
	}
	return string(out)
}

// paperWriter reproduces the paper code's writing paths (loss-landscape: h5_util.write_list,
// net_plotter.create_random_direction / setup_direction / name_direction_file,
// plot_surface.setup_surface_file / crunch, scheduler.get_unplotted_indices), with numpy arrays
// for torch tensors, and writes beside them the ground truth: the directions by name
// (safetensors) as the script itself paired them.
const paperWriter = `
import sys, os, json, numpy as np, h5py
sys.path.insert(0, sys.argv[1])
from safetensors_np import st_read, st_write
wpath, order_path, out = sys.argv[2:5]
order = json.load(open(order_path))                   # [[name, is_parameter], ...] in state_dict order
W = st_read(wpath)
states = [(n, W[n]) for n, _ in order]                # net.state_dict()
params = [(n, W[n]) for n, p in order if p]           # net.parameters()
rng = np.random.default_rng(3)

def write_list(f, name, direction):                   # h5_util.write_list
    grp = f.create_group(name)
    for i, l in enumerate(direction):
        grp.create_dataset(str(i), data=l)

def normalize_direction(direction, weights, norm='filter'):
    if norm == 'filter':
        for d, w in zip(direction, weights):
            d *= np.linalg.norm(w) / (np.linalg.norm(d) + 1e-10)

def normalize_directions(direction, weights, norm='filter', ignore='biasbn'):
    for d, w in zip(direction, weights):
        if d.ndim <= 1:
            if ignore == 'biasbn':
                d.fill(0)
            else:
                d[...] = w
        else:
            normalize_direction(d, w, norm)

def create_random_direction(entries, ignore, norm):   # get_random_weights / get_random_states
    direction = [np.array(rng.standard_normal(w.shape), dtype=np.float32) for _, w in entries]
    normalize_directions(direction, [w.astype(np.float32) for _, w in entries], norm, ignore)
    return direction

def setup_direction(dir_file, entries, ignore, norm):
    f = h5py.File(dir_file, 'w')
    xdirection = create_random_direction(entries, ignore, norm)
    write_list(f, 'xdirection', xdirection)
    ydirection = create_random_direction(entries, ignore, norm)
    write_list(f, 'ydirection', ydirection)
    f.close()
    truth = {}
    for pre, d in (("x.", xdirection), ("y.", ydirection)):
        for (n, _), a in zip(entries, d):
            if not n.endswith("num_batches_tracked"):
                truth[pre + n] = np.asarray(a, dtype=np.float32)
    st_write(dir_file + ".truth.safetensors", truth)

model_file = os.path.join(out, "model_300.t7")
for dir_type, entries, ignore in (("weights", params, "biasbn"), ("states", states, "")):
    name = model_file + "_" + dir_type
    if ignore:
        name += "_xignore=" + ignore
    name += "_xnorm=filter"
    if ignore:
        name += "_yignore=" + ignore
    name += "_ynorm=filter.h5"                        # name_direction_file
    setup_direction(name, entries, ignore, "filter")

def get_unplotted_indices(vals, xcoordinates, ycoordinates=None):
    inds = np.array(range(vals.size))
    inds = inds[vals.ravel() <= 0]
    if ycoordinates is not None:
        xcoord_mesh, ycoord_mesh = np.meshgrid(xcoordinates, ycoordinates)
        s1 = xcoord_mesh.ravel()[inds]
        s2 = ycoord_mesh.ravel()[inds]
        return inds, np.c_[s1, s2]
    return inds, xcoordinates.ravel()[inds]

def setup_surface_file(surf_file, dir_file, x, y):
    f = h5py.File(surf_file, 'a')
    f['dir_file'] = dir_file
    f['xcoordinates'] = np.linspace(*x)
    if y:
        f['ycoordinates'] = np.linspace(*y)
    f.close()

def evaluate(coord):                                  # a known function of the point
    x, y = (coord[0], coord[1]) if np.ndim(coord) else (coord, 0.0)
    return 1.5 + x * x + 0.25 * y, 50 + 10 * x - 5 * y

def crunch(surf_file, loss_key, acc_key, skip):       # one rank; skip: points an interrupted run left
    f = h5py.File(surf_file, 'r+')
    xcoordinates = f['xcoordinates'][:]
    ycoordinates = f['ycoordinates'][:] if 'ycoordinates' in f.keys() else None
    shape = xcoordinates.shape if ycoordinates is None else (len(xcoordinates), len(ycoordinates))
    losses = -np.ones(shape=shape)
    accuracies = -np.ones(shape=shape)
    f[loss_key] = losses
    f[acc_key] = accuracies
    inds, coords = get_unplotted_indices(losses, xcoordinates, ycoordinates)
    for count, ind in enumerate(inds):
        if count in skip:
            continue
        loss, acc = evaluate(coords[count])
        losses.ravel()[ind] = loss
        accuracies.ravel()[ind] = acc
        f[loss_key][:] = losses
        f[acc_key][:] = accuracies
        f.flush()
    f.close()

dir_file = model_file + "_weights_xignore=biasbn_xnorm=filter_yignore=biasbn_ynorm=filter.h5"
s2 = dir_file + "_[-1.0,1.0,5]x[-0.5,0.5,3].h5"
setup_surface_file(s2, dir_file, (-1.0, 1.0, 5), (-0.5, 0.5, 3))
crunch(s2, 'train_loss', 'train_acc', {2, 7})
crunch(s2, 'test_loss', 'test_acc', {0})
s1 = dir_file + "_[-1.0,1.0,7].h5"
setup_surface_file(s1, dir_file, (-1.0, 1.0, 7), None)
crunch(s1, 'train_loss', 'train_acc', {6})
print(json.dumps({"surf2": s2, "surf1": s1, "dirs": [model_file + "_weights_xignore=biasbn_xnorm=filter_yignore=biasbn_ynorm=filter.h5",
    model_file + "_states_xnorm=filter_ynorm=filter.h5"]}))
`

// paperFiles are the files paperWriter writes: 2D and 1D surfaces, and the weights and states
// directions.
type paperFiles struct {
	Surf2, Surf1 string
	Dirs         []string
}

// writePaperFiles writes into dir a resnet8's weights (w.safetensors, seed 1) and the order of its
// state_dict (order.json: name, whether a parameter), then runs paperWriter on them.
func writePaperFiles(t *testing.T, dir string) (net *model.Net, weights string, files paperFiles) {
	t.Helper()
	net, err := model.Build("resnet8", model.Config{InC: 1, HW: 8, Classes: 10})
	if err != nil {
		t.Fatal(err)
	}
	weights = filepath.Join(dir, "w.safetensors")
	if err := model.WriteSafetensors(weights, model.Init(net, 1), nil); err != nil {
		t.Fatal(err)
	}
	var order [][2]any
	for _, p := range net.Params {
		order = append(order, [2]any{p.Name, p.Kind.IsParameter()})
	}
	ob, _ := json.Marshal(order)
	opath := filepath.Join(dir, "order.json")
	if err := os.WriteFile(opath, ob, 0o644); err != nil {
		t.Fatal(err)
	}
	tools, _ := os.Getwd()
	if err := json.Unmarshal([]byte(run(t, true, "-c", paperWriter, tools, weights, opath, dir)), &files); err != nil {
		t.Fatal(err)
	}
	return net, weights, files
}

// TestPaperH5 converts direction and surface files written by the paper's code paths and reads
// the results with landscape's readers.
func TestPaperH5(t *testing.T) {
	testenv.Python(t, "numpy", "h5py")
	dir := t.TempDir()
	net, wpath, files := writePaperFiles(t, dir)

	// Directions: weights (parameters only) and states (the state_dict, num_batches_tracked too).
	for k, src := range files.Dirs {
		dirType := []string{"weights", "states"}[k]
		checkPaperDirs(t, net, wpath, src, filepath.Join(dir, dirType+".safetensors"), dirType)
	}

	// Surfaces: 2D (5 x 3, two splits, points left at -1) and 1D.
	for _, tc := range []paperSurface{
		{files.Surf2, 5, 3, map[string][]int{"train": {2, 7}, "test": {0}}},
		{files.Surf1, 7, 0, map[string][]int{"train": {6}}},
	} {
		out := filepath.Join(dir, fmt.Sprintf("surf%d.npz", tc.ny))
		run(t, true, "paper_h5.py", "surface", tc.src, out, "--model", "resnet8")
		checkPaperNPZ(t, out, tc)
		checkPaperLoad(t, out, tc)
	}

	// Faults: another network's names; a file that is not a direction file.
	other, _ := model.Build("resnet8", model.Config{InC: 3, HW: 8, Classes: 10})
	opath2 := filepath.Join(dir, "other.safetensors")
	model.WriteSafetensors(opath2, model.Init(other, 1), nil)
	if msg := run(t, false, "paper_h5.py", "dirs", files.Dirs[0], "--names", opath2, filepath.Join(dir, "o.safetensors")); !strings.Contains(msg, "dataset xdirection/0 has shape (16, 1, 3, 3), conv1.weight has (16, 3, 3, 3)") {
		t.Errorf("other network: %s", msg)
	}
	if msg := run(t, false, "paper_h5.py", "dirs", files.Surf2, "--names", wpath, filepath.Join(dir, "s.safetensors")); !strings.Contains(msg, "no group 'xdirection'") {
		t.Errorf("surface file as directions: %s", msg)
	}
}

// checkPaperDirs converts the paper's direction file src of dirType to out and checks that
// direction.Read reads exactly the directions the paper's code wrote (src.truth.safetensors),
// the metadata, and that a second conversion does not overwrite out.
func checkPaperDirs(t *testing.T, net *model.Net, wpath, src, out, dirType string) {
	msg := run(t, true, "paper_h5.py", "dirs", src, "--names", wpath, out, "--model", "resnet8")
	if !strings.Contains(msg, "dir_type "+dirType) {
		t.Errorf("%s: %s", dirType, msg)
	}
	f, err := direction.Read(out, net, dirType, true)
	if err != nil {
		t.Fatalf("%s: %v", dirType, err)
	}
	x, y := f.X, f.Y
	truth, _, err := model.ReadSafetensors(src + ".truth.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, name := range truth.Names {
		got := x.Get(strings.TrimPrefix(name, "x."))
		if strings.HasPrefix(name, "y.") {
			got = y.Get(strings.TrimPrefix(name, "y."))
		}
		want := truth.Tensors[name]
		if got == nil || len(got.Data) != len(want.Data) {
			t.Fatalf("%s: %s missing or of another size", dirType, name)
		}
		for i := range want.Data {
			if got.Data[i] != want.Data[i] {
				t.Fatalf("%s: %s[%d] = %v, the paper's file has %v", dirType, name, i, got.Data[i], want.Data[i])
			}
		}
		n++
	}
	if n != 2*len(direction.Entries(net, dirType)) {
		t.Errorf("%s: compared %d tensors, want %d", dirType, n, 2*len(direction.Entries(net, dirType)))
	}
	_, meta, _ := model.ReadSafetensors(out)
	if meta["dir_type"] != dirType || meta["norm"] != "filter" || meta["model"] != "resnet8" {
		t.Errorf("%s: metadata %v", dirType, meta)
	}
	if want := map[string]string{"weights": "biasbn", "states": "none"}[dirType]; meta["ignore"] != want {
		t.Errorf("%s: ignore %q, want %q", dirType, meta["ignore"], want)
	}
	// Never overwritten.
	if msg := run(t, false, "paper_h5.py", "dirs", src, "--names", wpath, out); !strings.Contains(msg, "exists") {
		t.Errorf("second conversion onto %s: %s", out, msg)
	}
}

// A paperSurface is a surface file of the paper's code: nx × ny points (ny 0 for 1D), and per
// split the flat indices k = j·nx + i an interrupted run left at -1.
type paperSurface struct {
	src     string
	nx, ny  int
	skipped map[string][]int
}

// paperLoss and paperAcc are what paperWriter's crunch computed at (x, y).
func paperLoss(x, y float64) float64 { return 1.5 + x*x + 0.25*y }
func paperAcc(x, y float64) float64  { return 50 + 10*x - 5*y }

// checkPaperNPZ reads the converted file out as numpy would: the coordinates, each split's
// arrays (shape (ny, nx) in C order, the skipped points NaN), the computed mask and the
// settings.
func checkPaperNPZ(t *testing.T, out string, tc paperSurface) {
	r, err := npz.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var xs, ys []float64
	r.Read("xcoordinates.npy", &xs)
	if tc.ny > 0 {
		r.Read("ycoordinates.npy", &ys)
	} else {
		ys = []float64{0}
	}
	if len(xs) != tc.nx || len(ys) != max(tc.ny, 1) {
		t.Fatalf("%s: coordinates %v %v", out, xs, ys)
	}
	wantShape := fmt.Sprint([]int{tc.ny, tc.nx})
	if tc.ny == 0 {
		wantShape = fmt.Sprint([]int{tc.nx})
	}
	for split, skipped := range tc.skipped {
		if h := r.Header(split + "_loss.npy"); h == nil || fmt.Sprint(h.Descr.Shape) != wantShape || h.Descr.Fortran {
			t.Fatalf("%s: %s_loss header %v, want shape %s in C order", out, split, h, wantShape)
		}
		var l, a []float64
		if err := r.Read(split+"_loss.npy", &l); err != nil {
			t.Fatal(err)
		}
		r.Read(split+"_acc.npy", &a)
		for j := range ys {
			for i := range xs {
				k := j*tc.nx + i
				if slices.Contains(skipped, k) {
					if !math.IsNaN(l[k]) || !math.IsNaN(a[k]) {
						t.Errorf("%s %s: point (%d, %d) not computed by the paper's code, got %v %v", out, split, i, j, l[k], a[k])
					}
					continue
				}
				if math.Abs(l[k]-paperLoss(xs[i], ys[j])) > 1e-12 || math.Abs(a[k]-paperAcc(xs[i], ys[j])) > 1e-12 {
					t.Errorf("%s %s: Z[%d, %d] = %v, %v; want L(x=%v, y=%v) = %v, %v", out, split, j, i, l[k], a[k], xs[i], ys[j], paperLoss(xs[i], ys[j]), paperAcc(xs[i], ys[j]))
				}
			}
		}
	}
	var comp []uint8
	r.Read("computed.npy", &comp)
	done := 0
	for _, c := range comp {
		done += int(c)
	}
	if done != len(comp)-len(tc.skipped["train"]) {
		t.Errorf("%s: %d points marked computed, want %d", out, done, len(comp)-len(tc.skipped["train"]))
	}
	var js string
	r.Read("settings.npy", &js)
	var st map[string]any
	if err := json.Unmarshal([]byte(js), &st); err != nil || st["format"] != 2.0 || st["x"] != fmt.Sprintf("-1:1:%d", tc.nx) || st["split"] != "train" || st["norm"] != "filter" || st["engine"] != "paper-h5" {
		t.Errorf("%s: settings %s (%v)", out, js, err)
	}
}

// checkPaperLoad reads the converted file out with landscape's own reader: the same points,
// the split and the other split's arrays, and a scan may not resume it.
func checkPaperLoad(t *testing.T, out string, tc paperSurface) {
	sf, err := surface.Load(out)
	if err != nil {
		t.Fatalf("surface.Load(%s): %v", out, err)
	}
	if sf.Settings.Format != 2 || sf.Settings.Engine != "paper-h5" || sf.Split != "train" || len(sf.X) != tc.nx {
		t.Errorf("%s: surface.Load gives format %d, engine %q, split %q, %d x", out, sf.Settings.Format, sf.Settings.Engine, sf.Split, len(sf.X))
	}
	for k := range sf.Len() {
		x, y := sf.Coord(k)
		if sf.Computed[k] && (sf.Loss[k] != paperLoss(x, y) || sf.Acc[k] != paperAcc(x, y)) {
			t.Errorf("%s: surface.Load point %d at (%v, %v): %v %v, want %v %v", out, k, x, y, sf.Loss[k], sf.Acc[k], paperLoss(x, y), paperAcc(x, y))
		}
		if !sf.Computed[k] && !slices.Contains(tc.skipped["train"], k) {
			t.Errorf("%s: surface.Load point %d not computed", out, k)
		}
	}
	if tc.ny > 0 && len(sf.ExtraArray("test_loss")) != sf.Len() {
		t.Errorf("%s: surface.Load has no test_loss beside the train split (extra: %v)", out, sf.Extra)
	}
	if err := sf.Settings.CheckResume(out, surface.Settings{Engine: "cpu"}); err == nil || !strings.Contains(err.Error(), "paper-h5") {
		t.Errorf("%s: a scan may resume the converted file: %v", out, err)
	}
}

// toPaperH5 rewrites our directions file as the paper's setup_direction would have stored the
// same directions: nameless lists in net.parameters() order (h5_util.write_list).
const toPaperH5 = `
import sys, json, numpy as np, h5py
sys.path.insert(0, sys.argv[1])
from safetensors_np import st_read
d = st_read(sys.argv[2])
order = json.load(open(sys.argv[3]))
f = h5py.File(sys.argv[4], 'w')
for axis in ("x", "y"):
    grp = f.create_group(axis + "direction")
    for i, (name, _) in enumerate([o for o in order if o[1]]):
        grp.create_dataset(str(i), data=d.get(axis + "." + name, np.zeros(0, np.float32)))
f.close()
`

// TestPaperDirectionsScan: a scan with directions that went through the paper's file format
// and back (tools/paper_h5.py) computes the same surface, bit for bit, as the
// scan that drew them.
func TestPaperDirectionsScan(t *testing.T) {
	testenv.Python(t, "numpy", "h5py")
	dir := t.TempDir()
	bin := filepath.Join(dir, "landscape")
	if out, err := exec.Command("go", "build", "-o", bin, "landscape/cmd/landscape").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	net, _ := model.Build("resnet8", model.Config{InC: 1, HW: 8, Classes: 10})
	w := filepath.Join(dir, "w.safetensors")
	model.WriteSafetensors(w, model.Init(net, 2), nil)
	px := make([]uint8, 10*64)
	for i := range px {
		px[i] = uint8(i * 37)
	}
	npzPath := filepath.Join(dir, "d.npz")
	if err := data.WriteNPZ(npzPath, px, 10, 1, 8, 8, []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}); err != nil {
		t.Fatal(err)
	}
	scan := func(out string, extra ...string) []float64 {
		args := append([]string{"scan", "--model", "resnet8", "--weights", w, "--data", "npz:" + npzPath,
			"--x", "-1:1:3", "--y", "-1:1:3", "--quiet", "--out", filepath.Join(dir, out)}, extra...)
		if msg, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
			t.Fatalf("landscape %v: %v\n%s", args, err, msg)
		}
		r, err := npz.Open(filepath.Join(dir, out))
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		var l []float64
		key := "train_loss"
		if !slices.Contains(r.Keys(), key) {
			key += ".npy"
		}
		if err := r.Read(key, &l); err != nil {
			t.Fatal(err)
		}
		return l
	}
	ours := filepath.Join(dir, "ours.safetensors")
	ref := scan("ref.npz", "--seed", "4", "--save-dirs", ours)
	var order [][2]any
	for _, p := range net.Params {
		order = append(order, [2]any{p.Name, p.Kind.IsParameter()})
	}
	ob, _ := json.Marshal(order)
	os.WriteFile(filepath.Join(dir, "order.json"), ob, 0o644)
	tools, _ := os.Getwd()
	h5 := filepath.Join(dir, "model_300.t7_weights_xignore=biasbn_xnorm=filter_yignore=biasbn_ynorm=filter.h5")
	run(t, true, "-c", toPaperH5, tools, ours, filepath.Join(dir, "order.json"), h5)
	conv := filepath.Join(dir, "conv.safetensors")
	run(t, true, "paper_h5.py", "dirs", h5, "--names", w, conv)
	got := scan("paper.npz", "--dirs", conv) // used as saved: the file records its normalisation
	for k := range ref {
		if got[k] != ref[k] {
			t.Fatalf("point %d: loss %v with the converted directions, %v with the drawn ones", k, got[k], ref[k])
		}
	}
}

// TestPaperH5Checkpoint names the paper's directions from its own checkpoint format
// ({'state_dict': …} saved by torch.save, as its cifar10/main.py does) instead of a safetensors.
func TestPaperH5Checkpoint(t *testing.T) {
	testenv.Python(t, "torch", "numpy", "h5py")
	dir := t.TempDir()
	_, w, files := writePaperFiles(t, dir)
	tools, _ := os.Getwd()
	opath := filepath.Join(dir, "order.json")
	ckpt := filepath.Join(dir, "model_300.t7")
	run(t, true, "-c", `
import sys, json, collections, torch
sys.path.insert(0, sys.argv[1])
from safetensors_np import st_read
W = st_read(sys.argv[2])
sd = collections.OrderedDict(("module." + n, torch.from_numpy(W[n])) for n, _ in json.load(open(sys.argv[3])))
torch.save({'acc': 0, 'epoch': 300, 'state_dict': sd}, sys.argv[4])
`, tools, w, opath, ckpt)
	for k, src := range files.Dirs {
		a, b := filepath.Join(dir, fmt.Sprintf("st%d.safetensors", k)), filepath.Join(dir, fmt.Sprintf("ck%d.safetensors", k))
		run(t, true, "paper_h5.py", "dirs", src, "--names", w, a)
		run(t, true, "paper_h5.py", "dirs", src, "--names", ckpt, b)
		x1, _, err1 := model.ReadSafetensors(a)
		x2, _, err2 := model.ReadSafetensors(b)
		if err1 != nil || err2 != nil || len(x1.Names) != len(x2.Names) || len(x1.Names) == 0 {
			t.Fatalf("%s: %v %v, %d and %d tensors", src, err1, err2, len(x1.Names), len(x2.Names))
		}
		for _, name := range x1.Names {
			if !slices.Equal(x1.Tensors[name].Data, x2.Tensors[name].Data) {
				t.Fatalf("%s: %s differs between the safetensors and the checkpoint names", src, name)
			}
		}
	}
}
