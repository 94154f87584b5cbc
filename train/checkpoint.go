package train

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"landscape/model"
)

// Checkpoints of a run writing OUT.safetensors: after epoch E,
//
//	OUT_epochE.safetensors      the state_dict (a weights file like any other, e.g. for scan)
//	OUT_epochE.opt.safetensors  SGD's momentum buffers, "momentum_buffer.<name>"
//
// both with metadata "landscape_train" (the run's settings, which a resumed run must match),
// "epoch" and, in the weights file, "history" (the per-epoch statistics so far, JSON).
const (
	metaSettings = "landscape_train"
	metaEpoch    = "epoch"
	metaHistory  = "history"
	bufPrefix    = "momentum_buffer."
)

// CheckpointPaths returns the two files of the checkpoint after epoch e of a run writing out.
func CheckpointPaths(out string, e int) (weights, opt string) {
	base := strings.TrimSuffix(out, ".safetensors")
	return fmt.Sprintf("%s_epoch%d.safetensors", base, e), fmt.Sprintf("%s_epoch%d.opt.safetensors", base, e)
}

// Meta returns the metadata recorded with the trainer's weights: settings, epoch and history.
func (tr *Trainer) Meta(settings string) map[string]string {
	h, _ := json.Marshal(tr.History)
	return map[string]string{metaSettings: settings, metaEpoch: strconv.Itoa(tr.Epoch), metaHistory: string(h)}
}

// SaveCheckpoint writes the checkpoint after tr.Epoch: the optimizer file first, then the
// weights, each atomically, so that a checkpoint whose weights file exists is complete.
func (tr *Trainer) SaveCheckpoint(out, settings string) error {
	wp, op := CheckpointPaths(out, tr.Epoch)
	meta := tr.Meta(settings)
	bufs := model.NewWeights()
	for _, p := range tr.Net.Params {
		if b, ok := tr.Opt.Bufs[p.Name]; ok {
			bufs.Add(&model.Tensor{Name: bufPrefix + p.Name, Shape: p.Shape, Data: b})
		}
	}
	if err := model.WriteSafetensors(op, bufs, map[string]string{metaSettings: settings, metaEpoch: meta[metaEpoch]}); err != nil {
		return err
	}
	return model.WriteSafetensors(wp, tr.Net.Weights(), meta)
}

var epochRe = regexp.MustCompile(`_epoch(\d+)\.safetensors$`)

// FindCheckpoint returns the epoch of the latest complete checkpoint of a run writing out, or
// −1 when there is none. A checkpoint recorded with other settings is an error: resuming
// from it would mix two runs.
func FindCheckpoint(out, settings string) (int, error) {
	base := strings.TrimSuffix(out, ".safetensors")
	files, err := filepath.Glob(globEscape(base) + "_epoch*.safetensors")
	if err != nil {
		return -1, err
	}
	best := -1
	for _, f := range files {
		m := epochRe.FindStringSubmatch(f)
		if m == nil || strings.HasSuffix(f, ".opt.safetensors") || f != base+"_epoch"+m[1]+".safetensors" {
			continue
		}
		e, err := strconv.Atoi(m[1])
		if err != nil || e <= best {
			continue
		}
		_, op := CheckpointPaths(out, e)
		if _, err := os.Stat(op); err != nil {
			continue
		}
		_, meta, err := model.ReadSafetensors(f)
		if err != nil {
			continue // unreadable: fall back to an older one
		}
		if meta[metaSettings] != settings {
			return -1, fmt.Errorf("checkpoint %s is from a run with other settings (%s); delete the %s_epoch* files or choose another --out to start over",
				f, meta[metaSettings], base)
		}
		best = e
	}
	return best, nil
}

func globEscape(s string) string {
	r := strings.NewReplacer(`*`, `\*`, `?`, `\?`, `[`, `\[`, `\`, `\\`)
	return r.Replace(s)
}

// LoadCheckpoint restores the state after epoch e of a run writing out: weights, running
// statistics, momentum buffers, the epoch count and the history.
func (tr *Trainer) LoadCheckpoint(out string, e int) error {
	wp, op := CheckpointPaths(out, e)
	w, meta, err := model.ReadSafetensors(wp)
	if err != nil {
		return err
	}
	if err := tr.Net.SetWeights(w); err != nil {
		return fmt.Errorf("%s: %w", wp, err)
	}
	bufs, _, err := model.ReadSafetensors(op)
	if err != nil {
		return err
	}
	tr.Opt.Bufs = map[string][]float32{}
	for _, name := range bufs.Names {
		p := tr.Net.Param(strings.TrimPrefix(name, bufPrefix))
		if p == nil || p.Grad == nil || len(p.Data) != len(bufs.Tensors[name].Data) {
			return fmt.Errorf("%s: momentum buffer %q does not fit model %s", op, name, tr.Net.Model.Name)
		}
		tr.Opt.Bufs[p.Name] = bufs.Tensors[name].Data
	}
	tr.Epoch = e
	tr.History = nil
	if h := meta[metaHistory]; h != "" {
		if err := json.Unmarshal([]byte(h), &tr.History); err != nil {
			return fmt.Errorf("%s: history: %w", wp, err)
		}
	}
	return nil
}

// ReadMeta returns the settings and the completed epochs recorded in a weights file written by
// a training run ("" and 0 for other files).
func ReadMeta(path string) (settings string, epoch int, history []EpochStats, err error) {
	_, meta, err := model.ReadSafetensors(path)
	if err != nil {
		return "", 0, nil, err
	}
	epoch, _ = strconv.Atoi(meta[metaEpoch])
	json.Unmarshal([]byte(meta[metaHistory]), &history)
	return meta[metaSettings], epoch, history, nil
}
