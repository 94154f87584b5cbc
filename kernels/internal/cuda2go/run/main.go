// Command run writes the files of package cuda2go (go generate ./kernels, from kernels/).
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"landscape/kernels/internal/cuda2go"
)

func main() {
	root := ".."
	if len(os.Args) > 1 {
		root = os.Args[1]
	}
	files, err := cuda2go.Files(filepath.Join(root, "kernels"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "cuda2go:", err)
		os.Exit(1)
	}
	for path, b := range files {
		if err := os.WriteFile(filepath.Join(root, path), b, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "cuda2go:", err)
			os.Exit(1)
		}
	}
}
