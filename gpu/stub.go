//go:build !cuda

package gpu

import "landscape/engine"

// New returns ErrNoCUDA: this build has no CUDA support.
func New(p *engine.Problem, o Options) (engine.Engine, error) { return nil, ErrNoCUDA }

// Devices returns ErrNoCUDA: this build has no CUDA support.
func Devices() (int, error) { return 0, ErrNoCUDA }

// DeviceName returns ErrNoCUDA: this build has no CUDA support.
func DeviceName(ordinal int) (string, error) { return "", ErrNoCUDA }
