package main

import (
	"context"
	"fmt"
	"os"

	"landscape/view"
)

// startView serves the live page of the scan's output file at addr beside the scan
// (scan --view); "" serves nothing. The returned stop ends the server after the page got the
// file's last state. A server that cannot start says why on stderr; the scan goes on.
func startView(parent context.Context, addr, out string) (stop func()) {
	if addr == "" {
		return func() {}
	}
	ctx, cancel := context.WithCancel(parent)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := view.ServeFiles(ctx, addr, []string{out}, "", view.DefaultOptions(), os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "scan --view:", err)
		}
	}()
	return func() { cancel(); <-done }
}
