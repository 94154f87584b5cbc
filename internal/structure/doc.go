// Package structure holds tests of the source tree itself rather than of any one package: rules
// from the developers' guide that a reader relies on and that would otherwise drift as code is
// added. It has no code of its own.
//
// funclen_test.go: no Go function outside generated files is over MaxFuncLines lines;
// cfunclen_test.go: nor any function of the CUDA kernels, their headers and the host emulator
// (kernels/*.cu, *.cuh, kernels/emu/*.cpp, *.h), found by matching braces.
// generate_test.go: every //go:generate directive has a test that fails when the files it
// writes are stale.
package structure

// MaxFuncLines is the longest a function may be, counted from the line of its func keyword (C++:
// the first line of its declaration, template head included) to the line of its closing brace
// (doc comments not included): a function a reader can hold.
const MaxFuncLines = 80
