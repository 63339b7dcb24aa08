package crs

import (
	"math"
	"testing"
)

// conformalLat returns the conformal latitude χ of geodetic latitude phi (radians) on the
// CGCS2000 ellipsoid by the closed form χ = gd(asinh(tan φ) − e·atanh(e·sin φ)), written as
// tan χ = τ·√(1 + σ²) − σ·√(1 + τ²) with τ = tan φ and σ = sinh(e·atanh(e·sin φ)).
func conformalLat(phi float64) float64 {
	f := 1 / invFlattening
	e := math.Sqrt(f * (2 - f))
	tau := math.Tan(phi)
	sig := math.Sinh(e * math.Atanh(e*math.Sin(phi)))
	return math.Atan(tau*math.Sqrt(1+sig*sig) - sig*math.Sqrt(1+tau*tau))
}

// TestConformalLatitudeSeries checks the series between geodetic and conformal latitude used
// by the projection against the closed form, every 0.01° of latitude.
func TestConformalLatitudeSeries(t *testing.T) {
	k := &cgcs2000TM
	series := func(c *[6]float64, lat float64) float64 {
		return lat + sinSeriesReal(c, math.Sin(2*lat), math.Cos(2*lat))
	}
	var worstChi, worstPhi float64
	for i := -8999; i <= 8999; i++ {
		phi := float64(i) / 100 * radPerDeg
		chi := conformalLat(phi)
		worstChi = max(worstChi, math.Abs(series(&k.phiToChi, phi)-chi))
		worstPhi = max(worstPhi, math.Abs(series(&k.chiToPhi, chi)-phi))
	}
	// 1e-15 rad is 6 nm on the ground, a few units in the last place of a latitude.
	if worstChi > 1e-15 || worstPhi > 1e-15 {
		t.Errorf("series differ from the closed form by up to %.2g rad (φ → χ) and %.2g rad (χ → φ)",
			worstChi, worstPhi)
	}
	t.Logf("largest difference from the closed form: φ → χ %.2g rad, χ → φ %.2g rad (%.2g m)",
		worstChi, worstPhi, max(worstChi, worstPhi)*semiMajor)
}
