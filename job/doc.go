// Package job runs landscape's work from a specification, for any front end (the landscape
// command, a shard runner, a Go program):
//
//   - a scan: ScanSpec → data (shuffled with a recorded seed for --tolerance), model and
//     directions → the resume check against an existing file → the points in coarse-to-fine
//     order → engines and their fallback policy → the scheduler (package sched) → a saver that
//     keeps the surface file up to date and loses nothing when the output cannot be written;
//   - training: TrainSpec → data, model and initial weights → resume from the latest
//     checkpoint of the same settings → epochs;
//   - curvature: HessianSpec → products at θ → eigenvalues, trace, density → JSON, and
//     EigenMapSpec → a prepared scan whose points get the largest and smallest Hessian
//     eigenvalues, kept in its file by the scans' saver;
//   - the loss rise around a minimum (Rise), and the speed benchmark (Bench).
//
// It reports through callbacks (progress, log lines) and returns errors; it never prints,
// exits or handles signals: that is the front end's part.
package job

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
)

// Logf receives a message for the user (one line, no trailing newline).
type Logf func(format string, args ...any)

func (l Logf) orDiscard() Logf {
	if l == nil {
		return func(string, ...any) {}
	}
	return l
}

// SHA256File returns the hex SHA-256 of a file's contents.
func SHA256File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
