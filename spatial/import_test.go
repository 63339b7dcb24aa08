package spatial_test

import (
	"bytes"
	"reflect"
	"runtime"
	"testing"

	"github.com/mudi-gis/mudi/fixtures"
	"github.com/mudi-gis/mudi/spatial"
)

// Records are prepared in parallel; the import must not depend on how many cores did it.
func TestImportDoesNotDependOnParallelism(t *testing.T) {
	data, err := fixtures.SampleParcels()
	if err != nil {
		t.Fatal(err)
	}
	// A few invalid features among the valid ones, so problems are ordered too.
	data = bytes.Replace(data, []byte(`"type":"Polygon"`), []byte(`"type":"Point"`), 3)
	decode := func(procs int) *spatial.Import {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		imp, err := spatial.DecodeGeoJSON(bytes.NewReader(data), spatial.ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return imp
	}
	one, four := decode(1), decode(4)
	if len(one.Problems) != 3 || one.Skipped != 3 {
		t.Fatalf("%d problems, %d skipped; want 3", len(one.Problems), one.Skipped)
	}
	if !reflect.DeepEqual(one.Problems, four.Problems) || !reflect.DeepEqual(one.Fields, four.Fields) || len(one.Features) != len(four.Features) {
		t.Fatal("problems, fields or feature counts differ between 1 and 4 procs")
	}
	for i := range one.Features {
		if !reflect.DeepEqual(one.Features[i], four.Features[i]) {
			t.Fatalf("feature %d differs between 1 and 4 procs", i)
		}
	}
}
