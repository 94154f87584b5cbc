package remote

import (
	"strings"
	"testing"

	"landscape/model"
)

func TestSupportedRefusesGraphFiles(t *testing.T) {
	zoo, err := model.Build("resnet8", model.Config{InC: 3, HW: 8, Classes: 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := Supported(zoo); err != nil {
		t.Errorf("zoo network refused: %v", err)
	}
	zoo.File = "mine.onnx"
	if err := Supported(zoo); err == nil || !strings.Contains(err.Error(), "mine.onnx") {
		t.Errorf("graph file: %v", err)
	}
}
