package job

import (
	"fmt"
	"os"

	"landscape/direction"
	"landscape/model"
)

// directions builds δ (and η for 2D): W2 − W with Weights2, else directions from the Dirs file
// or a random draw. A Dirs file that records its normalisation (as SaveDirs writes it) is used
// as it is — never normalised twice — and its recorded normalisation is returned; other
// directions are normalised as the spec says.
func (s *ScanSpec) directions(net *model.Net, w *model.Weights, twoD bool, log Logf) (dx, dy *model.Weights, used direction.Options, err error) {
	used = direction.Options{Norm: s.Norm, Ignore: s.Ignore, DirType: s.DirType}
	asSaved := false
	switch {
	case s.Dirs != "":
		f, err := direction.Read(s.Dirs, net, s.DirType, twoD)
		if err != nil {
			return nil, nil, used, err
		}
		dx, dy = f.X, f.Y
		if f.Normalized != nil {
			asSaved, used = true, *f.Normalized
			note := ""
			if used.Norm != s.Norm || used.Ignore != s.Ignore {
				note = fmt.Sprintf(" (--norm %s --ignore %s not applied)", s.Norm, s.Ignore)
			}
			log("--dirs %s: using the directions as saved, already normalised with norm %s, ignore %s as the file records; not normalising again%s",
				s.Dirs, used.Norm, used.Ignore, note)
			if sha := f.Meta["weights_sha256"]; sha != "" && sha != s.weightsSHA {
				log("--dirs %s: note: the directions were normalised against other weights (sha256 %.12s…)", s.Dirs, sha)
			}
		} else {
			log("--dirs %s records no normalisation: normalising its directions with --norm %s --ignore %s", s.Dirs, s.Norm, s.Ignore)
		}
	default:
		dx = direction.Random(net, s.DirType, s.Seed, 0)
		if twoD {
			dy = direction.Random(net, s.DirType, s.Seed, 1)
		}
	}
	if s.Weights2 != "" {
		n2, w2, err := model.Load(s.Model, s.Weights2, net.HW)
		if err != nil {
			return nil, nil, used, fmt.Errorf("--weights2: %w", err)
		}
		if n2.InC != net.InC || n2.Classes != net.Classes {
			return nil, nil, used, fmt.Errorf("--weights2 %s: %d input channels and %d classes, --weights has %d and %d", s.Weights2, n2.InC, n2.Classes, net.InC, net.Classes)
		}
		dx = direction.Target(net, w, w2, s.DirType)
		if s.Weights3 != "" {
			if dy, err = s.target(net, w, s.Weights3, "--weights3"); err != nil {
				return nil, nil, used, err
			}
			return dx, dy, used, nil // both unnormalised: the plane through W, W2, W3
		}
	} else if !asSaved {
		direction.Normalize(dx, w, used)
	}
	if dy != nil && !asSaved {
		direction.Normalize(dy, w, used)
	}
	return dx, dy, used, nil
}

// target is W3 − W over every parameter (and running statistic with --dir-type states) for
// the solution in file, checked against the network as --weights2's is.
func (s *ScanSpec) target(net *model.Net, w *model.Weights, file, flag string) (*model.Weights, error) {
	n3, w3, err := model.Load(s.Model, file, net.HW)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	if n3.InC != net.InC || n3.Classes != net.Classes {
		return nil, fmt.Errorf("%s %s: %d input channels and %d classes, --weights has %d and %d", flag, file, n3.InC, n3.Classes, net.InC, net.Classes)
	}
	return direction.Target(net, w, w3, s.DirType), nil
}

// saveDirs writes the directions used to SaveDirs, recording their normalisation, and refuses
// to replace an existing file that holds other directions.
func (s *ScanSpec) saveDirs(dx, dy *model.Weights, used direction.Options) error {
	meta := map[string]string{"model": s.Model, "weights_sha256": s.weightsSHA}
	if s.Weights2 != "" {
		meta["x"] = "weights2 - weights (not normalised)"
	}
	if s.Weights3 != "" {
		meta["y"] = "weights3 - weights (not normalised)"
	}
	tmp, err := os.CreateTemp("", "dirs*.safetensors")
	if err != nil {
		return err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	if err := direction.Save(tmp.Name(), dx, dy, used, meta); err != nil {
		return err
	}
	if _, err := os.Stat(s.SaveDirs); err == nil {
		a, err := SHA256File(s.SaveDirs)
		if err != nil {
			return fmt.Errorf("--save-dirs: %w", err)
		}
		b, err := SHA256File(tmp.Name())
		if err != nil {
			return err
		}
		if a == b {
			return nil
		}
		return fmt.Errorf("--save-dirs %s exists with other directions; not overwriting it (choose another name or delete it)", s.SaveDirs)
	}
	return direction.Save(s.SaveDirs, dx, dy, used, meta)
}
