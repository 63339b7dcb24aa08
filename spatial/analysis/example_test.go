package analysis_test

import (
	"context"
	"fmt"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/analysis"
	"github.com/paulmach/orb"
)

func ExampleRun() {
	box := func(x0, y0, x1, y1 float64) orb.Polygon {
		return orb.Polygon{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}
	}
	// Two low-efficiency parcels sharing an edge, and one apart.
	parcels := spatial.NewSnapshot(spatial.Layer{ID: "parcels", Kind: spatial.KindParcels}, []*spatial.Feature{
		{ID: 1, Geometry: box(118.870, 28.940, 118.872, 28.942), Attrs: spatial.Attrs{"DKBH": "A-1", "SFDX": "是"}.Record()},
		{ID: 2, Geometry: box(118.872, 28.940, 118.874, 28.942), Attrs: spatial.Attrs{"DKBH": "A-2", "SFDX": "是"}.Record()},
		{ID: 3, Geometry: box(118.880, 28.940, 118.881, 28.941), Attrs: spatial.Attrs{"DKBH": "B-1", "SFDX": "是"}.Record()},
	})
	// Contiguous low-efficiency blocks of 50 亩 or more, parcels linked when they touch.
	res, err := analysis.Run(context.Background(), parcels, nil, analysis.ContiguousBlocks(ptr(50.0), nil, 0, nil))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, b := range res.Blocks {
		fmt.Printf("block %d: %.2f 亩, parcels %v %q\n", b.ID, b.AreaMu, b.ParcelIDs, b.ParcelCodes)
	}
	// Output:
	// block 1: 129.67 亩, parcels [1 2] ["A-1" "A-2"]
}

func ptr(v float64) *float64 { return &v }
