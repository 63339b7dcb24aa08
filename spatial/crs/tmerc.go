package crs

import "math"

// The CGCS2000 ellipsoid. GRS 80 has the same semi-major axis and its inverse flattening
// differs in the twelfth digit (298.257222100882…), 0.1 mm in the semi-minor axis; PROJ uses
// GRS 80 for the CGCS2000 Gauss-Krüger codes.
const (
	semiMajor     = 6378137.0     // a, metres
	invFlattening = 298.257222101 // 1/f
)

// cgcs2000TM is the transverse Mercator projection on the CGCS2000 ellipsoid at scale 1, the
// same for every zone: a zone only adds its central meridian and false easting.
var cgcs2000TM = newKruger(semiMajor, 1/invFlattening)

// kruger holds the constants of the Krüger series for the transverse Mercator projection on
// one ellipsoid, at scale factor 1, truncated after n⁶ (n is the third flattening). The
// formulas are those of C. F. F. Karney, "Transverse Mercator with an accuracy of a few
// nanometers", J. Geodesy 85 (2011), equations 7–11 and 35–36; the series error is below
// 5 nm within 3900 km of the central meridian.
type kruger struct {
	e            float64    // first eccentricity
	e2m          float64    // 1 − e²
	rectA        float64    // A, the rectifying radius: the meridian arc per radian, metres
	alpha        [6]float64 // forward series: conformal (ξ', η') → rectifying (ξ, η)
	beta         [6]float64 // inverse series: rectifying → conformal
	poleNorthing float64    // northing of the pole, A·π/2, metres
}

func newKruger(a, f float64) kruger {
	n := f / (2 - f)
	n2, n3 := n*n, n*n*n
	n4, n5, n6 := n3*n, n3*n2, n3*n3
	e2 := f * (2 - f)
	k := kruger{
		e:     math.Sqrt(e2),
		e2m:   1 - e2,
		rectA: a / (1 + n) * (1 + n2/4 + n4/64 + n6/256),
		alpha: [6]float64{
			n/2 - 2*n2/3 + 5*n3/16 + 41*n4/180 - 127*n5/288 + 7891*n6/37800,
			13*n2/48 - 3*n3/5 + 557*n4/1440 + 281*n5/630 - 1983433*n6/1935360,
			61*n3/240 - 103*n4/140 + 15061*n5/26880 + 167603*n6/181440,
			49561*n4/161280 - 179*n5/168 + 6601661*n6/7257600,
			34729*n5/80640 - 3418889*n6/1995840,
			212378941 * n6 / 319334400,
		},
		beta: [6]float64{
			n/2 - 2*n2/3 + 37*n3/96 - n4/360 - 81*n5/512 + 96199*n6/604800,
			n2/48 + n3/15 - 437*n4/1440 + 46*n5/105 - 1118711*n6/3870720,
			17*n3/480 - 37*n4/840 - 209*n5/4480 + 5569*n6/90720,
			4397*n4/161280 - 11*n5/504 - 830251*n6/7257600,
			4583*n5/161280 - 108847*n6/3991680,
			20648693 * n6 / 638668800,
		},
	}
	k.poleNorthing = k.rectA * math.Pi / 2
	return k
}

// forward projects latitude phi and longitude lam relative to the central meridian (both
// radians) to x (easting before the false easting) and y (northing), in metres.
func (k *kruger) forward(phi, lam float64) (x, y float64) {
	sinPhi, cosPhi := math.Sincos(phi)
	taup := k.conformalTan(sinPhi / cosPhi)
	sinLam, cosLam := math.Sincos(lam)
	// Spherical transverse Mercator of the conformal sphere, Karney eq. 10.
	xip := math.Atan2(taup, cosLam)
	etap := math.Asinh(sinLam / math.Hypot(taup, cosLam))
	// ζ = ζ' + Σ αⱼ sin 2jζ', with ζ = ξ + iη; Karney eq. 11.
	dxi, deta := sinSeries(&k.alpha, xip, etap)
	return k.rectA * (etap + deta), k.rectA * (xip + dxi)
}

// inverse is the inverse of forward: x (without false easting) and y in metres to latitude
// and longitude relative to the central meridian, in radians.
func (k *kruger) inverse(x, y float64) (phi, lam float64) {
	xi, eta := y/k.rectA, x/k.rectA
	// ζ' = ζ − Σ βⱼ sin 2jζ; Karney eq. 11 with eq. 36.
	dxi, deta := sinSeries(&k.beta, xi, eta)
	xip, etap := xi-dxi, eta-deta
	sinXi, cosXi := math.Sincos(xip)
	sinhEta := math.Sinh(etap)
	taup := sinXi / math.Hypot(sinhEta, cosXi)
	return math.Atan(k.geodeticTan(taup)), math.Atan2(sinhEta, cosXi)
}

// conformalTan returns τ' = tan χ, the tangent of the conformal latitude, from τ = tan φ
// (Karney eq. 7–9).
func (k *kruger) conformalTan(tau float64) float64 {
	tau1 := math.Hypot(1, tau)
	sig := math.Sinh(k.e * math.Atanh(k.e*tau/tau1))
	return tau*math.Hypot(1, sig) - sig*tau1
}

// geodeticTan inverts conformalTan by Newton's method (Karney eq. 19–21); it converges to
// machine precision in two or three steps.
func (k *kruger) geodeticTan(taup float64) float64 {
	tau := taup / k.e2m // exact slope at the equator
	for range 10 {
		tp := k.conformalTan(tau)
		// dτ'/dτ = (1 − e²)·√(1 + τ'²)·√(1 + τ²) / (1 + (1 − e²)·τ²)
		dtau := (taup - tp) * (1 + k.e2m*tau*tau) /
			(k.e2m * math.Hypot(1, tp) * math.Hypot(1, tau))
		tau += dtau
		if !(math.Abs(dtau) > 1e-10*math.Max(1, math.Abs(tau))) {
			break // the next step would change tau by less than 1e-20 relative
		}
	}
	return tau
}

// sinSeries returns the real and imaginary parts of Σⱼ c[j−1]·sin(2j·(xi + i·eta)) for
// j = 1…6, by Clenshaw summation in complex arithmetic.
func sinSeries(c *[6]float64, xi, eta float64) (re, im float64) {
	s, co := math.Sincos(2 * xi)
	ex := math.Exp(2 * eta)
	sh, ch := (ex-1/ex)/2, (ex+1/ex)/2
	sin2 := complex(s*ch, co*sh)  // sin 2ζ
	cos2 := complex(co*ch, -s*sh) // cos 2ζ
	var b1, b2 complex128
	for j := len(c) - 1; j >= 0; j-- {
		b1, b2 = complex(c[j], 0)+2*cos2*b1-b2, b1
	}
	sum := b1 * sin2
	return real(sum), imag(sum)
}
