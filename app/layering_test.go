package app

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// TestLayering fails when an import breaks the layering of docs/design.md:
// cmd → api → app → {tiles, store} → spatial, with tiles and store never importing each other
// and no package importing a layer above its own.
func TestLayering(t *testing.T) {
	const mod = "github.com/mudi-gis/mudi"
	// rank orders the layers; a package may import only packages of a lower rank, or of its
	// own layer (sub-packages). tiles and store share a rank and may not import each other.
	rank := func(pkg string) (int, string) {
		p := strings.TrimPrefix(pkg, mod+"/")
		top, _, _ := strings.Cut(p, "/")
		switch top {
		case "spatial":
			return 0, top
		case "tiles", "store":
			return 1, top
		case "app":
			return 2, top
		case "api":
			return 3, top
		case "cmd":
			return 4, p
		case "fixtures":
			return 0, top // test data: imports nothing of mudi
		}
		return -1, top
	}
	cmd := exec.Command("go", "list", "-json", mod+"/...")
	cmd.Dir = ".."
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(out)
	seen := 0
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		seen++
		from, fromTop := rank(p.ImportPath)
		if from < 0 {
			t.Errorf("package %s is outside the layers of docs/design.md", p.ImportPath)
			continue
		}
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, mod+"/") {
				continue
			}
			to, toTop := rank(imp)
			switch {
			case toTop == "fixtures" && fromTop != "fixtures" && from < 4:
				t.Errorf("%s imports %s: only commands and tests use the fixtures", p.ImportPath, imp)
			case fromTop == "fixtures" && toTop != "fixtures":
				t.Errorf("%s imports %s: the fixtures import nothing of mudi, so test data cannot inherit a bug of the code it tests", p.ImportPath, imp)
			case to > from || (to == from && fromTop != toTop && from != 4):
				t.Errorf("%s imports %s, against the layering cmd → api → app → {tiles, store} → spatial", p.ImportPath, imp)
			}
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if seen < 10 {
		t.Fatalf("go list reported %d packages; expected the whole module", seen)
	}
}
