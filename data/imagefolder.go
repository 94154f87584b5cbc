package data

import "fmt"

// loadImageFolder is not written yet.
func loadImageFolder(dir string, opt Options) (*Set, error) {
	return nil, fmt.Errorf("data: imagefolder:%s: not supported yet", dir)
}
