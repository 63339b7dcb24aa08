package gisio

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/paulmach/orb"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/spatial/campaign"
)

// ledgerOfSize returns a layer of n parcels with every ledger field filled, and their classes.
func ledgerOfSize(n int) (*spatial.Snapshot, map[spatial.FeatureID]campaign.Classes) {
	fields := []spatial.Field{{Name: "DKBH"}, {Name: "QLR"}, {Name: "XZQMC"}, {Name: "XZMC"}, {Name: "YQMC"},
		{Name: "XCYY"}, {Name: "CZCS"}, {Name: "WCSX"}, {Name: "ZRDW"}, {Name: "ZRR"}, {Name: "CZZT"}, {Name: "XHRQ"}}
	layer := spatial.Layer{ID: "large", Kind: spatial.KindParcels, Fields: fields, Roles: spatial.DetectRoles(fields)}
	features := make([]*spatial.Feature, n)
	classes := make(map[spatial.FeatureID]campaign.Classes, n)
	years, fee, tax := 2, 123.4567, 8.75
	for i := range features {
		id := spatial.FeatureID(i + 1)
		x := float64(i%1000) * 1e-3
		features[i] = &spatial.Feature{ID: id,
			Geometry: orb.Polygon{{{118 + x, 29}, {118.0005 + x, 29}, {118.0005 + x, 29.0005}, {118 + x, 29}}},
			Attrs: spatial.Attrs{"DKBH": fmt.Sprintf("330802%07d", (i*7919)%n), "QLR": fmt.Sprintf("衢州市第%d机械制造有限公司", i),
				"XZQMC": "柯城区", "XZMC": "航埠镇", "YQMC": "衢州智造新城", "XCYY": "企业资金链断裂导致项目停工", "CZCS": "督促企业限期动工",
				"WCSX": "2026-12-31", "ZRDW": "柯城区经济和信息化局", "ZRR": "王明", "CZZT": "处置中", "XHRQ": "2026-11-30"}.Record(),
			Derived: spatial.Derived{AreaMu: 10 + float64(i%97)/7, ControlPosition: spatial.Inside}}
		classes[id] = campaign.Classes{IdleClass: campaign.IdleTwoYears, IdleSince: campaign.MustParseDate("2024-03-15"),
			IdleYears: &years, IdleFeeWan: &fee, Wuwei: campaign.SuppliedNotUsed, MuTax: &tax, MuClass: campaign.ClassB, Warning: campaign.Red}
	}
	return spatial.NewSnapshot(layer, features), classes
}

// TestLedgerXLSXMemoryIsBounded writes the ledger of 100 000 parcels (2.3 million cells, over
// 100 MB of sheet XML) and checks that the memory it holds is bounded by the stream's buffer,
// not proportional to the rows: the live heap while rows are written stays under twice the
// 16 MiB that the stream keeps in memory before it moves to a temporary file, plus the code
// order (one pointer and one string header a row); the peak RSS, which also holds the
// compressed workbook and the GC's headroom, grows by less than 128 MiB. Opt-in
// (MUDITEST_LARGE=1).
func TestLedgerXLSXMemoryIsBounded(t *testing.T) {
	if os.Getenv("MUDITEST_LARGE") != "1" {
		t.Skip("set MUDITEST_LARGE=1 to write the ledger of 100 000 parcels and measure memory")
	}
	const n = 100000
	sn, classes := ledgerOfSize(n)
	var written int64
	heap, rss := memoryGrowth(t, func(ctx context.Context) {
		cw := &countWriter{}
		if err := WriteLedgerXLSX(ctx, cw, sn, classes, campaign.MustParseDate("2026-11-30")); err != nil {
			t.Fatal(err)
		}
		written = cw.n
	})
	t.Logf("ledger n=%d, %.1f MB written: peak live heap while streaming %+.2f MiB, peak RSS %+.1f MiB", n, float64(written)/1e6, float64(heap)/(1<<20), float64(rss)/(1<<20))
	if heap > 32<<20+n*24+2<<20 || rss > 128<<20 {
		t.Errorf("memory grows with the rows: heap %+d, RSS %+d bytes", heap, rss)
	}
}

// BenchmarkLedgerXLSX writes the ledger of 10 000 parcels.
func BenchmarkLedgerXLSX(b *testing.B) {
	sn, classes := ledgerOfSize(10000)
	asOf := campaign.MustParseDate("2026-11-30")
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteLedgerXLSX(context.Background(), &countWriter{}, sn, classes, asOf); err != nil {
			b.Fatal(err)
		}
	}
}
