package crs

import "math"

// The CGCS2000 ellipsoid (EPSG:1024). GRS 80 differs only in the thirteenth digit of the
// inverse flattening (298.257222100882…), which moves projected positions by nanometres.
const (
	semiMajor     = 6378137.0     // a, metres
	invFlattening = 298.257222101 // 1/f
)

// cgcs2000TM is the transverse Mercator projection on the CGCS2000 ellipsoid at scale 1, the
// same for every zone: a zone only adds its central meridian and false easting.
var cgcs2000TM = newKruger(semiMajor, 1/invFlattening)

// kruger holds the constants of the Krüger series for the transverse Mercator projection on
// one ellipsoid, at scale factor 1, truncated after n⁶ (n is the third flattening), as in
// C. F. F. Karney, "Transverse Mercator with an accuracy of a few nanometers", J. Geodesy 85
// (2011). The projection goes geodetic latitude φ → conformal latitude χ → spherical
// transverse Mercator (ξ', η') of the conformal sphere → series αⱼ → (ξ, η) scaled by A;
// the inverse runs back with the series βⱼ. Every step is a trigonometric series in n or a
// closed form, with no iteration; the truncation error is a few nanometres within 3900 km
// of the central meridian.
type kruger struct {
	rectA        float64    // A, the rectifying radius: the meridian arc per radian, metres
	alpha        [6]float64 // forward series: conformal (ξ', η') → rectifying (ξ, η)
	beta         [6]float64 // inverse series: rectifying → conformal
	phiToChi     [6]float64 // series from geodetic latitude φ to conformal latitude χ
	chiToPhi     [6]float64 // series from conformal latitude χ to geodetic latitude φ
	poleNorthing float64    // northing of the pole, A·π/2, metres
}

func newKruger(a, f float64) kruger {
	n := f / (2 - f)
	n2, n3 := n*n, n*n*n
	n4, n5, n6 := n3*n, n3*n2, n3*n3
	k := kruger{
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
		// χ = φ + Σ cⱼ sin 2jφ and φ = χ + Σ cⱼ sin 2jχ: the classical series in e² between
		// geodetic and conformal latitude, χ = φ − (e²/2 + 5e⁴/24 + …) sin 2φ + …, written in
		// n. They replace the closed form χ = gd(asinh(tan φ) − e·atanh(e·sin φ)), which is
		// slower and has no closed inverse; a test checks both against it to 1e-15 rad.
		phiToChi: [6]float64{
			-2*n + 2*n2/3 + 4*n3/3 - 82*n4/45 + 32*n5/45 + 4642*n6/4725,
			5*n2/3 - 16*n3/15 - 13*n4/9 + 904*n5/315 - 1522*n6/945,
			-26*n3/15 + 34*n4/21 + 8*n5/5 - 12686*n6/2835,
			1237*n4/630 - 12*n5/5 - 24832*n6/14175,
			-734*n5/315 + 109598*n6/31185,
			444337 * n6 / 155925,
		},
		chiToPhi: [6]float64{
			2*n - 2*n2/3 - 2*n3 + 116*n4/45 + 26*n5/45 - 2854*n6/675,
			7*n2/3 - 8*n3/5 - 227*n4/45 + 2704*n5/315 + 2323*n6/945,
			56*n3/15 - 136*n4/35 - 1262*n5/105 + 73814*n6/2835,
			4279*n4/630 - 332*n5/35 - 399572*n6/14175,
			4174*n5/315 - 144838*n6/6237,
			601676 * n6 / 22275,
		},
	}
	k.poleNorthing = k.rectA * math.Pi / 2
	return k
}

// forward projects latitude phi and longitude lam relative to the central meridian (both
// radians) to x (easting before the false easting) and y (northing), in metres.
func (k *kruger) forward(phi, lam float64) (x, y float64) {
	sinPhi, cosPhi := math.Sincos(phi)
	chi := phi + sinSeriesReal(&k.phiToChi, 2*sinPhi*cosPhi, (cosPhi-sinPhi)*(cosPhi+sinPhi))
	sinChi, cosChi := math.Sincos(chi)
	sinLam, cosLam := math.Sincos(lam)
	// Spherical transverse Mercator of the conformal sphere:
	// ξ' = atan2(sin χ, cos χ·cos λ), η' = atanh(cos χ·sin λ).
	u, v := cosChi*cosLam, cosChi*sinLam
	xip, etap := math.Atan2(sinChi, u), math.Atanh(v)
	// sin 2ξ', cos 2ξ', sinh 2η', cosh 2η' from the same terms; r2 = sin²χ + u² = 1 − v².
	r2 := sinChi*sinChi + u*u
	dxi, deta := sinSeries(&k.alpha, 2*sinChi*u/r2, (u-sinChi)*(u+sinChi)/r2, 2*v/r2, (1+v*v)/r2)
	// ζ = ζ' + Σ αⱼ sin 2jζ', with ζ = ξ + iη.
	return k.rectA * (etap + deta), k.rectA * (xip + dxi)
}

// inverse is the inverse of forward: x (without false easting) and y in metres to latitude
// and longitude relative to the central meridian, in radians.
func (k *kruger) inverse(x, y float64) (phi, lam float64) {
	xi, eta := y/k.rectA, x/k.rectA
	// ζ' = ζ − Σ βⱼ sin 2jζ.
	s, c := math.Sincos(2 * xi)
	ex := math.Exp(2 * eta)
	dxi, deta := sinSeries(&k.beta, s, c, (ex-1/ex)/2, (ex+1/ex)/2)
	xip, etap := xi-dxi, eta-deta
	// Back from the conformal sphere: conformal latitude χ and longitude λ.
	sinXi, cosXi := math.Sincos(xip)
	sinhEta := math.Sinh(etap)
	coshEta := math.Sqrt(1 + sinhEta*sinhEta)
	r := math.Sqrt(sinhEta*sinhEta + cosXi*cosXi) // cos χ · cosh η'
	sinChi, cosChi := sinXi/coshEta, r/coshEta
	chi := math.Atan2(sinXi, r)
	phi = chi + sinSeriesReal(&k.chiToPhi, 2*sinChi*cosChi, (cosChi-sinChi)*(cosChi+sinChi))
	return phi, math.Atan2(sinhEta, cosXi)
}

// sinSeries returns the real and imaginary parts of Σⱼ c[j−1]·sin 2jζ for j = 1…6, with
// ζ = ξ + iη, by Clenshaw summation in complex arithmetic. It takes sin 2ξ, cos 2ξ, sinh 2η
// and cosh 2η, which the callers get more cheaply than from ξ and η.
func sinSeries(c *[6]float64, sin2xi, cos2xi, sinh2eta, cosh2eta float64) (re, im float64) {
	sin2 := complex(sin2xi*cosh2eta, cos2xi*sinh2eta)  // sin 2ζ
	cos2 := complex(cos2xi*cosh2eta, -sin2xi*sinh2eta) // cos 2ζ
	var b1, b2 complex128
	for j := len(c) - 1; j >= 0; j-- {
		b1, b2 = complex(c[j], 0)+2*cos2*b1-b2, b1
	}
	sum := b1 * sin2
	return real(sum), imag(sum)
}

// sinSeriesReal returns Σⱼ c[j−1]·sin 2jχ for j = 1…6 by Clenshaw summation, given
// sin 2χ and cos 2χ.
func sinSeriesReal(c *[6]float64, sin2, cos2 float64) float64 {
	var b1, b2 float64
	for j := len(c) - 1; j >= 0; j-- {
		b1, b2 = c[j]+2*cos2*b1-b2, b1
	}
	return b1 * sin2
}
