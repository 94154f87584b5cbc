package cpu_test

import (
	"testing"

	"landscape/cpu"
	"landscape/internal/enginetest"
)

func TestConformance(t *testing.T) { enginetest.Run(t, cpu.New) }
