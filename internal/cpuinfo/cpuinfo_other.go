//go:build !linux && !darwin

package cpuinfo

func model() string { return "" }
