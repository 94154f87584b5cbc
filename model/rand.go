package model

import (
	"math"
	"math/rand/v2"
)

func newRand(seed int64) *rand.Rand { return rand.New(rand.NewPCG(uint64(seed), 0x6c616e64)) }

func sqrt(x float64) float64 { return math.Sqrt(x) }
