package campaign

import (
	"sort"

	"github.com/mudi-gis/mudi/spatial"
)

// Rank sets MuClass of every parcel of one group (a layer, or the parcels of one district): the
// rated parcels ([Classes.Rated]) are sorted by MuTax, highest first; a parcel's position i is
// the number of rated parcels with a strictly higher MuTax (0-based; parcels with equal MuTax
// share the best position of their run), and with n rated parcels p = i/n gives ClassA if
// p < CutA, ClassB if p < CutB, ClassC if p < CutC, else ClassD. Parcels that are not rated
// get ClassUnrated. The result depends only on the values, not on the order of group.
func Rank(group []*Classes, p Params) {
	tax := make([]float64, len(group))
	rated := make([]bool, len(group))
	for i, c := range group {
		if c.Rated && c.MuTax != nil {
			tax[i], rated[i] = *c.MuTax, true
		}
	}
	for i, class := range RankTaxes(tax, rated, p) {
		group[i].MuClass = class
	}
}

// RankTaxes is [Rank] over what it compares: each parcel's 亩均税收 and whether it takes part
// (rated and with a 亩均税收). It returns each parcel's MuClass.
func RankTaxes(tax []float64, rated []bool, p Params) []string {
	var values []float64
	for i, v := range tax {
		if rated[i] {
			values = append(values, v)
		}
	}
	sort.Sort(sort.Reverse(sort.Float64Slice(values)))
	n := len(values)
	out := make([]string, len(tax))
	for i, v := range tax {
		if !rated[i] {
			out[i] = ClassUnrated
			continue
		}
		k := sort.Search(n, func(k int) bool { return values[k] <= v }) // first position of v
		out[i] = classAt(float64(k)/float64(n), p)
	}
	return out
}

func classAt(p float64, prm Params) string {
	switch {
	case p < prm.CutA:
		return ClassA
	case p < prm.CutB:
		return ClassB
	case p < prm.CutC:
		return ClassC
	}
	return ClassD
}

// ComputeLayer computes the classes of every feature of a layer as of asOf and ranks them, per
// group of equal values of the attribute groupBy (e.g. the district field XZQDM), or over the
// whole layer when groupBy is "". Parcels with no value in groupBy form one group of their own.
// The inputs are read from [FieldsOf] the layer; areaMu gives a feature's area in 亩 and
// defaults, when nil, to the area mudi computed (Derived.AreaMu). p should be valid
// ([Params.Validate]).
func ComputeLayer(sn *spatial.Snapshot, areaMu func(*spatial.Feature) float64, asOf Date, p Params, groupBy string) map[spatial.FeatureID]Classes {
	if areaMu == nil {
		areaMu = func(f *spatial.Feature) float64 { return f.Derived.AreaMu }
	}
	fields := FieldsOf(&sn.Layer)
	features := sn.Features()
	all := make([]Classes, len(features))
	groups := map[string][]*Classes{}
	for i, f := range features {
		all[i] = Compute(f.Attrs, areaMu(f), fields, asOf, p)
		key := ""
		if groupBy != "" {
			key = f.Attrs.String(groupBy)
		}
		groups[key] = append(groups[key], &all[i])
	}
	for _, g := range groups {
		Rank(g, p)
	}
	out := make(map[spatial.FeatureID]Classes, len(features))
	for i, f := range features {
		out[f.ID] = all[i]
	}
	return out
}
