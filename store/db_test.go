package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mudi-gis/mudi/spatial"
)

func TestOpenCreatesFileAndParentDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "mudi.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Path() != path {
		t.Errorf("Path() = %q, want %q", db.Path(), path)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	err = db.view(func(tx *bolt.Tx) error {
		v, err := readSchema(tx, path)
		if err == nil && v != schemaVersion {
			err = fmt.Errorf("schema version %d, want %d", v, schemaVersion)
		}
		return err
	})
	if err != nil {
		t.Error(err)
	}
}

func TestSecondOpenFailsWithErrLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mudi.db")
	first, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts Options
	}{
		{name: "read-write open while held", opts: Options{Timeout: 200 * time.Millisecond}},
		{name: "read-only open while held for writing", opts: Options{Timeout: 200 * time.Millisecond, ReadOnly: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			// Linux flock locks belong to the open file description, so a second Open in the
			// same process conflicts exactly as another process would.
			db, err := Open(path, tt.opts)
			elapsed := time.Since(start)
			if err == nil {
				db.Close()
				t.Fatal("second Open succeeded")
			}
			if !errors.Is(err, ErrLocked) {
				t.Fatalf("err = %v, want ErrLocked", err)
			}
			if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, "another mudi process") {
				t.Errorf("message %q should name the file and another mudi process", msg)
			}
			if elapsed > time.Second {
				t.Errorf("second Open took %v, want well under 1s", elapsed)
			}
		})
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Open(path, Options{Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	again.Close()
}

func TestOpenLockedByAnotherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mudi.db")
	child, lines := startHelper(t, "hold", path, "")
	for l := range lines {
		if l == "ready" {
			break
		}
	}
	start := time.Now()
	db, err := Open(path, Options{}) // default timeout, 1s
	if err == nil {
		db.Close()
		t.Fatal("Open succeeded while another process holds the file")
	}
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("err = %v, want ErrLocked", err)
	}
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Errorf("Open took %v with the default timeout", d)
	}
	child.Process.Kill()
	child.Wait()
	db, err = Open(path, Options{Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatalf("Open after the other process died: %v", err)
	}
	db.Close()
}

// TestKillDuringImport kills (SIGKILL) a process in the middle of a 20 000-feature import, at
// several points including during the commit (its page writes and fsyncs), and checks that the
// file is consistent and holds either the complete new layer or none of it, next to the
// untouched old one.
func TestKillDuringImport(t *testing.T) {
	if testing.Short() {
		t.Skip("starts subprocesses")
	}
	const n = 20000
	base := []*spatial.Feature{simpleFeature(1, "甲"), simpleFeature(2, "乙")}
	last := fmt.Sprintf("progress %d", n)
	// A first, complete import measures how long the commit takes on this machine, so the
	// kills below land inside it.
	var commit time.Duration
	tests := []struct {
		name     string
		afterMsg string               // kill once the helper prints this line
		delay    func() time.Duration // and then waits this long
		want     string               // "old", "new", or "" for either
	}{
		{name: "completed import survives a kill", afterMsg: "done", want: "new"},
		{name: "killed at the first progress report", afterMsg: "progress 1000", want: "old"},
		{name: "killed after the last feature, before the commit", afterMsg: last},
	}
	for _, frac := range []float64{0.1, 0.3, 0.5, 0.7, 0.9, 1.1} {
		tests = append(tests, struct {
			name     string
			afterMsg string
			delay    func() time.Duration
			want     string
		}{
			name:     fmt.Sprintf("killed at %.0f%% of the commit", frac*100),
			afterMsg: last,
			delay:    func() time.Duration { return time.Duration(frac * float64(commit)) },
		})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "mudi.db")
			db, err := Open(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			wantBase := mustCreate(t, db, "base", base)
			db.Close()

			child, lines := startHelper(t, "import", path, strconv.Itoa(n))
			var lastAt time.Time
			for l := range lines {
				if l == last {
					lastAt = time.Now()
				}
				if l == "done" && commit == 0 {
					commit = time.Since(lastAt)
					t.Logf("commit of %d features took %v", n, commit)
				}
				if l == tt.afterMsg {
					if tt.delay != nil {
						time.Sleep(tt.delay())
					}
					break
				}
			}
			child.Process.Kill()
			child.Wait()

			db, err = Open(path, Options{})
			if err != nil {
				t.Fatalf("reopen after kill: %v", err)
			}
			defer db.Close()
			db.view(func(tx *bolt.Tx) error {
				for err := range tx.Check() {
					t.Errorf("bbolt check: %v", err)
				}
				return nil
			})
			l, fs, err := db.LoadLayer(context.Background(), "base")
			if err != nil || !reflect.DeepEqual(l, wantBase) {
				t.Errorf("base layer after kill: %v, %#v", err, l)
			}
			sameFeatures(t, fs, base)
			_, fs, err = db.LoadLayer(context.Background(), "big")
			got := "new"
			switch {
			case errors.Is(err, ErrNotFound):
				got = "old"
			case err != nil:
				t.Fatalf("LoadLayer(big): %v", err)
			default:
				sameFeatures(t, fs, syntheticFeatures(n, 7))
			}
			t.Logf("store holds the %s state", got)
			if tt.want != "" && got != tt.want {
				t.Errorf("store holds the %s state, want %s", got, tt.want)
			}
		})
	}
}

// startHelper runs this test binary as a helper process (see TestHelperProcess) and returns
// it with a channel of the lines it prints.
func startHelper(t *testing.T, mode, path, arg string) (*exec.Cmd, <-chan string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), "MUDITEST_STORE_HELPER="+mode, "MUDITEST_STORE_HELPER_PATH="+path, "MUDITEST_STORE_HELPER_ARG="+arg)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	return cmd, lines
}

// TestHelperProcess is not a test: it is the body of the helper processes of startHelper.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv("MUDITEST_STORE_HELPER")
	if mode == "" {
		t.Skip("helper process only")
	}
	path := os.Getenv("MUDITEST_STORE_HELPER_PATH")
	db, err := Open(path, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(2)
	}
	switch mode {
	case "hold":
		fmt.Println("ready")
		bufio.NewReader(os.Stdin).ReadString('\n') // until the parent closes stdin or kills us
	case "import":
		n, _ := strconv.Atoi(os.Getenv("MUDITEST_STORE_HELPER_ARG"))
		fs := syntheticFeatures(n, 7)
		err := db.CreateLayer(context.Background(), testLayer("big"), fs, func(done int) {
			fmt.Printf("progress %d\n", done)
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(2)
		}
		fmt.Println("done")
		bufio.NewReader(os.Stdin).ReadString('\n')
	}
	db.Close()
	os.Exit(0)
}

func TestReopenSeesData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mudi.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	fs := syntheticFeatures(50, 3)
	l := mustCreate(t, db, "parcels", fs)
	changes := map[spatial.FeatureID][]spatial.Change{7: {{Key: "ZT", Before: "闲置", After: "低效"}}}
	if err := db.UpdateFeatures(l, nil, changes); err != nil {
		t.Fatal(err)
	}
	if err := db.PutAnalysis("a1", []byte(`{"preset":"small-parcels"}`)); err != nil {
		t.Fatal(err)
	}
	if err := db.PutSetting("api_keys", []byte("hash")); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	for _, ro := range []bool{false, true} {
		t.Run(fmt.Sprintf("read-only=%v", ro), func(t *testing.T) {
			db, err := Open(path, Options{ReadOnly: ro})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			gotL, gotFs, err := db.LoadLayer(context.Background(), "parcels")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(gotL, l) {
				t.Errorf("layer:\n got %#v\nwant %#v", gotL, l)
			}
			sameFeatures(t, gotFs, fs)
			if h, err := db.History("parcels", 7); err != nil || len(h) != 1 || h[0].After != "低效" {
				t.Errorf("History = %+v, %v", h, err)
			}
			if a, err := db.Analysis("a1"); err != nil || string(a) != `{"preset":"small-parcels"}` {
				t.Errorf("Analysis = %q, %v", a, err)
			}
			if s, err := db.Setting("api_keys"); err != nil || string(s) != "hash" {
				t.Errorf("Setting = %q, %v", s, err)
			}
			if ro {
				if err := db.PutSetting("x", nil); err == nil {
					t.Error("PutSetting on a read-only store succeeded")
				}
			}
		})
	}
}

func TestOpenRejectsForeignFiles(t *testing.T) {
	tests := []struct {
		name  string
		setup func(path string) error
		opts  Options
		want  string
	}{
		{
			name:  "not a bbolt file",
			setup: func(p string) error { return os.WriteFile(p, []byte(strings.Repeat("not a database ", 1000)), 0o600) },
			want:  "store: open",
		},
		{
			name: "bbolt file of another program",
			setup: func(p string) error {
				return withBolt(p, func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("other")); return err })
			},
			want: "not a mudi data file",
		},
		{
			name: "schema written by a newer mudi",
			setup: func(p string) error {
				db, err := Open(p, Options{})
				if err != nil {
					return err
				}
				db.Close()
				return withBolt(p, func(tx *bolt.Tx) error { return putSchema(tx, schemaVersion+1) })
			},
			want: fmt.Sprintf("schema version %d, newer", schemaVersion+1),
		},
		{name: "read-only open of a missing file", setup: func(string) error { return nil }, opts: Options{ReadOnly: true}, want: "store: open"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "mudi.db")
			if err := tt.setup(path); err != nil {
				t.Fatal(err)
			}
			db, err := Open(path, tt.opts)
			if err == nil {
				db.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// withBolt runs fn in a write transaction on the raw bbolt file at path.
func withBolt(path string, fn func(tx *bolt.Tx) error) error {
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return err
	}
	defer b.Close()
	return b.Update(fn)
}

func TestUnknownFormatVersionIsAnError(t *testing.T) {
	tests := []struct {
		name   string
		bucket []byte
		nested string
		key    []byte
		read   func(db *DB) error
	}{
		{name: "layer", bucket: bucketLayers, key: []byte("parcels"), read: func(db *DB) error { _, err := db.Layer("parcels"); return err }},
		{name: "layer in list", bucket: bucketLayers, key: []byte("parcels"), read: func(db *DB) error { _, err := db.Layers(); return err }},
		{
			name: "feature", bucket: bucketFeatures, nested: "parcels", key: fidKey(2),
			read: func(db *DB) error { _, _, err := db.LoadLayer(context.Background(), "parcels"); return err },
		},
		{
			name: "change", bucket: bucketHistory, nested: "parcels", key: historyKey(1, 1),
			read: func(db *DB) error { _, err := db.History("parcels", 1); return err },
		},
		{name: "analysis", bucket: bucketAnalyses, key: []byte("a"), read: func(db *DB) error { _, err := db.Analysis("a"); return err }},
		{name: "analysis in list", bucket: bucketAnalyses, key: []byte("a"), read: func(db *DB) error { _, err := db.Analyses(); return err }},
		{name: "setting", bucket: bucketSettings, key: []byte("s"), read: func(db *DB) error { _, err := db.Setting("s"); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openTemp(t)
			mustCreate(t, db, "parcels", []*spatial.Feature{simpleFeature(1, "甲"), simpleFeature(2, "乙")})
			err := db.update(func(tx *bolt.Tx) error {
				b := tx.Bucket(tt.bucket)
				if tt.nested != "" {
					b = b.Bucket([]byte(tt.nested))
				}
				return b.Put(tt.key, []byte{99, '{', '}'})
			})
			if err != nil {
				t.Fatal(err)
			}
			err = tt.read(db)
			if err == nil || !strings.Contains(err.Error(), "format version 99") {
				t.Errorf("err = %v, want an unknown format version 99 error", err)
			}
		})
	}
}

func TestNotFound(t *testing.T) {
	db := openTemp(t)
	l := mustCreate(t, db, "parcels", []*spatial.Feature{simpleFeature(1, "甲")})
	ctx := context.Background()
	missing := testLayer("missing")
	tests := []struct {
		name string
		call func() error
	}{
		{name: "Layer of unknown id", call: func() error { _, err := db.Layer("missing"); return err }},
		{name: "LoadLayer of unknown id", call: func() error { _, _, err := db.LoadLayer(ctx, "missing"); return err }},
		{name: "ReplaceLayer of unknown id", call: func() error { return db.ReplaceLayer(ctx, missing, nil, nil) }},
		{name: "DeleteLayer of unknown id", call: func() error { return db.DeleteLayer("missing") }},
		{name: "PutLayerMeta of unknown id", call: func() error { return db.PutLayerMeta(missing) }},
		{name: "UpdateFeatures of unknown layer", call: func() error { return db.UpdateFeatures(missing, nil, nil) }},
		{name: "UpdateFeatures of unknown feature", call: func() error { return db.UpdateFeatures(l, []*spatial.Feature{simpleFeature(9, "x")}, nil) }},
		{name: "History of unknown layer", call: func() error { _, err := db.History("missing", 1); return err }},
		{name: "History of unknown feature", call: func() error { _, err := db.History("parcels", 9); return err }},
		{name: "Analysis of unknown id", call: func() error { _, err := db.Analysis("missing"); return err }},
		{name: "DeleteAnalysis of unknown id", call: func() error { return db.DeleteAnalysis("missing") }},
		{name: "Setting of unknown key", call: func() error { _, err := db.Setting("missing"); return err }},
		{name: "DeleteSetting of unknown key", call: func() error { return db.DeleteSetting("missing") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, ErrNotFound) {
				t.Errorf("err = %v, want ErrNotFound", err)
			}
		})
	}
}

func TestAnalysesAndSettings(t *testing.T) {
	db := openTemp(t)
	docs := map[string]string{"b-blocks": `{"min_mu":300}`, "a-small": `{"max_mu":50,"名称":"零星地块"}`, "empty": ``}
	for id, doc := range docs {
		if err := db.PutAnalysis(id, []byte(doc)); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.PutAnalysis("a-small", []byte(`{"max_mu":49}`)); err != nil { // overwrite
		t.Fatal(err)
	}
	docs["a-small"] = `{"max_mu":49}`
	all, err := db.Analyses()
	if err != nil {
		t.Fatal(err)
	}
	var gotIDs []string
	for _, a := range all {
		gotIDs = append(gotIDs, a.ID)
		if string(a.Doc) != docs[a.ID] {
			t.Errorf("analysis %s = %q, want %q", a.ID, a.Doc, docs[a.ID])
		}
	}
	if !slices.Equal(gotIDs, []string{"a-small", "b-blocks", "empty"}) {
		t.Errorf("Analyses ids = %v, want sorted", gotIDs)
	}
	if err := db.DeleteAnalysis("b-blocks"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Analysis("b-blocks"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted analysis: %v", err)
	}
	if doc, err := db.Analysis("empty"); err != nil || doc == nil || len(doc) != 0 {
		t.Errorf("empty analysis = %#v, %v; want empty non-nil", doc, err)
	}

	if err := db.PutSetting("api_keys", []byte("sha256:abc")); err != nil {
		t.Fatal(err)
	}
	v, err := db.Setting("api_keys")
	if err != nil || string(v) != "sha256:abc" {
		t.Errorf("Setting = %q, %v", v, err)
	}
	if err := db.DeleteSetting("api_keys"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Setting("api_keys"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted setting: %v", err)
	}
	if err := db.PutAnalysis("", nil); err == nil {
		t.Error("PutAnalysis with empty id succeeded")
	}
	if err := db.PutSetting("", nil); err == nil {
		t.Error("PutSetting with empty key succeeded")
	}
}

func TestCompact(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(filepath.Join(dir, "mudi.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fs := syntheticFeatures(3000, 5)
	mustCreate(t, db, "gone", syntheticFeatures(3000, 6))
	l := mustCreate(t, db, "kept", fs)
	if err := db.DeleteLayer("gone"); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "compact.db")
	if err := db.Compact(dst); err != nil {
		t.Fatal(err)
	}
	if err := db.Compact(dst); err == nil {
		t.Error("Compact onto an existing file succeeded")
	}
	c, err := Open(dst, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Compare the pages in use (the file's apparent size includes preallocated slack).
	if before, after := usedBytes(t, db), usedBytes(t, c); after >= before*2/3 {
		t.Errorf("compacted store uses %d bytes, original %d; want about half", after, before)
	}
	gotL, gotFs, err := c.LoadLayer(context.Background(), "kept")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotL, l) {
		t.Errorf("layer after compact: %#v", gotL)
	}
	sameFeatures(t, gotFs, fs)
}

// usedBytes returns the size of the pages the store uses.
func usedBytes(tb testing.TB, db *DB) (n int64) {
	tb.Helper()
	db.view(func(tx *bolt.Tx) error { n = tx.Size(); return nil })
	return n
}

func TestLoadLayerCancelled(t *testing.T) {
	db := openTemp(t)
	mustCreate(t, db, "parcels", syntheticFeatures(100, 1))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := db.LoadLayer(ctx, "parcels"); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}
