// Package structure holds tests of the source tree itself rather than of any one package: rules
// from the developers' guide that a reader relies on and that would otherwise drift as code is
// added. It has no code of its own.
//
// funclen_test.go: no Go function outside generated files is over MaxFuncLines lines.
// generate_test.go: every //go:generate directive has a test that fails when the files it
// writes are stale.
package structure

// MaxFuncLines is the longest a Go function may be, counted from the line of its func keyword to
// the line of its closing brace (doc comments not included): a function a reader can hold.
const MaxFuncLines = 80
