package analysis

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mudi-gis/mudi/spatial"
)

// StatsResult holds per-group statistics of a parcels layer.
type StatsResult struct {
	GroupBy []string     `json:"group_by"` // the fields grouped by, as resolved
	TaxFrom string       `json:"tax_from"` // how 亩均税收 is computed: "tax" (ΣSS/Σ亩), "tax_per_mu" (area-weighted MJSS) or "" (none)
	Groups  []GroupStats `json:"groups"`   // sorted by Keys
	Total   GroupStats   `json:"total"`
}

// GroupStats are the statistics of one group of parcels.
type GroupStats struct {
	Keys   []string `json:"keys"` // values of the GroupBy fields ("" for missing)
	Count  int      `json:"count"`
	AreaMu float64  `json:"area_mu"` // Σ Derived.AreaMu
	// TaxPerMu is 亩均税收 (万元/亩) over the parcels that have a tax value; nil without any.
	TaxPerMu *float64 `json:"tax_per_mu"`

	taxSum, taxMu float64
}

// Stats groups the features of s by the given fields and returns count, area in 亩 and 亩均税收
// per group, and totals. Each groupBy entry is a role of the layer (e.g. "district",
// "status") or else a field name; an unknown one is a *[ParamError] for "group_by".
//
// 亩均税收: when the layer has a tax field (role "tax", else field SS) it is Σ tax / Σ 亩 over
// the parcels with a numeric tax value; otherwise, with a tax-per-亩 field (role "tax_per_mu",
// else MJSS), the area-weighted mean of it. Areas are Derived.AreaMu, computed when unset.
func Stats(s *spatial.Snapshot, groupBy []string) (*StatsResult, error) {
	l := &s.Layer
	res := &StatsResult{}
	fields := make([]string, len(groupBy))
	for i, g := range groupBy {
		g = strings.TrimSpace(g)
		if f, ok := l.Role(g); ok {
			fields[i] = f
			continue
		}
		if len(l.Fields) == 0 {
			fields[i] = g
			continue
		}
		found := false
		for _, fd := range l.Fields {
			if fd.Name == g || strings.EqualFold(fd.Name, g) {
				fields[i], found = fd.Name, true
				break
			}
		}
		if !found {
			return nil, &ParamError{"group_by", fmt.Sprintf("layer %q has no role or field %q", l.ID, g)}
		}
	}
	res.GroupBy = fields
	taxField, hasTax := fieldFor(l, roleTax, "SS")
	perMuField, hasPerMu := fieldFor(l, roleTaxPerMu, "MJSS")
	switch {
	case hasTax:
		res.TaxFrom = "tax"
	case hasPerMu:
		res.TaxFrom = "tax_per_mu"
	}

	groups := map[string]*GroupStats{}
	add := func(g *GroupStats, mu float64, f *spatial.Feature) {
		g.Count++
		g.AreaMu += mu
		switch res.TaxFrom {
		case "tax":
			if v, ok := number(f.Attrs.Value(taxField)); ok {
				g.taxSum += v
				g.taxMu += mu
			}
		case "tax_per_mu":
			if v, ok := number(f.Attrs.Value(perMuField)); ok {
				g.taxSum += v * mu
				g.taxMu += mu
			}
		}
	}
	for _, f := range s.Features() {
		mu := f.Derived.AreaMu
		if f.Derived.AreaM2 == 0 && f.Geometry != nil {
			mu = spatial.MuFromM2(spatial.AreaM2(f.Geometry))
		}
		keys := make([]string, len(fields))
		for i, fd := range fields {
			keys[i] = f.Attrs.String(fd)
		}
		k := strings.Join(keys, "\x00")
		g := groups[k]
		if g == nil {
			g = &GroupStats{Keys: keys}
			groups[k] = g
		}
		add(g, mu, f)
		add(&res.Total, mu, f)
	}
	for _, g := range groups {
		res.Groups = append(res.Groups, *g)
	}
	slices.SortFunc(res.Groups, func(a, b GroupStats) int { return slices.Compare(a.Keys, b.Keys) })
	for i := range res.Groups {
		res.Groups[i].finish()
	}
	res.Total.finish()
	res.Total.Keys = []string{}
	if res.Groups == nil {
		res.Groups = []GroupStats{}
	}
	return res, nil
}

func (g *GroupStats) finish() {
	if g.taxMu > 0 {
		v := g.taxSum / g.taxMu
		g.TaxPerMu = &v
	}
}
