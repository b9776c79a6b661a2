package main

import (
	"math"
	"slices"

	"socketserver/bench/internal/sockreport"
)

// median of xs, the mean of the middle two for an even count; NaN for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	mid := len(s) / 2
	if len(s)%2 == 1 {
		return s[mid]
	}
	if math.IsInf(s[mid-1], 1) || math.IsInf(s[mid], 1) {
		return s[mid]
	}
	return (s[mid-1] + s[mid]) / 2
}

// spread is max/min connections per serving process: NaN with a single process expected,
// +Inf when one of the expected processes served nothing (sockbench only sees those that
// served).
func spread(rep sockreport.Report, expected int) float64 {
	switch {
	case expected <= 1:
		return math.NaN()
	case rep.DistinctPIDs < expected:
		return math.Inf(1)
	}
	return rep.SpreadRatio
}
