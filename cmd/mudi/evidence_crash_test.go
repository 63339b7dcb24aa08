package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/mudi-gis/mudi/spatial"
	"github.com/mudi-gis/mudi/store"
)

// evidenceState reads, as a restart finds it, the evidence files of parcel code of layer and
// the evidence entries of its history: the names of the files stored, and of those the
// history records. Each stored file must hold the bytes its checksum names.
func evidenceState(t *testing.T, data, layer, code string) (files, recorded map[string]bool) {
	t.Helper()
	db, err := store.Open(filepath.Join(data, "mudi.db"), store.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, fs, err := db.LoadLayer(context.Background(), layer)
	if err != nil {
		t.Fatal(err)
	}
	var id spatial.FeatureID
	for _, f := range fs {
		if f.Attrs.String("DKBH") == code {
			id = f.ID
		}
	}
	if id == 0 {
		t.Fatalf("no parcel %s in the store", code)
	}
	list, err := db.EvidenceList(layer, code)
	if err != nil {
		t.Fatal(err)
	}
	files = map[string]bool{}
	for _, e := range list {
		_, content, err := db.EvidenceData(layer, code, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(content); hex.EncodeToString(sum[:]) != e.SHA256 || int64(len(content)) != e.Size {
			t.Fatalf("evidence %s: %d bytes that do not match its checksum", e.Name, len(content))
		}
		files[e.Name] = true
	}
	history, err := db.History(layer, id)
	if err != nil {
		t.Fatal(err)
	}
	recorded = map[string]bool{}
	for _, c := range history {
		if c.Key == "evidence" {
			recorded[fmt.Sprint(c.After)] = true
		}
	}
	return files, recorded
}

// TestKillDuringEvidenceUpload kills mudi serve (SIGKILL) while it receives and stores an
// evidence file of 18 MiB, at moments spread over the time the upload takes. After each kill
// the store holds the file and its history entry, or neither: never one without the other.
func TestKillDuringEvidenceUpload(t *testing.T) {
	if testing.Short() {
		t.Skip("kills servers")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	parcels := `{"type":"FeatureCollection","features":[` +
		`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[118.87,28.94],[118.871,28.94],[118.871,28.941],[118.87,28.941],[118.87,28.94]]]},"properties":{"DKBH":"KC-001","CZZT":"处置中"}},` +
		`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[118.871,28.94],[118.872,28.94],[118.872,28.941],[118.871,28.941],[118.871,28.94]]]},"properties":{"DKBH":"KC-002"}}]}`
	file := filepath.Join(dir, "parcels.geojson")
	if err := os.WriteFile(file, []byte(parcels), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := mudiCmd(t, "import", file, "--layer", "p", "--data", data).CombinedOutput(); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}

	// A PDF of 18 MiB (under the default limit of 20 MiB): the header, then bytes that do not
	// compress.
	rng := rand.NewChaCha8([32]byte{7})
	pdf := make([]byte, 18<<20)
	rng.Read(pdf)
	copy(pdf, "%PDF-1.4\n%")
	copy(pdf[len(pdf)-7:], "\n%%EOF\n")
	upload := func(base string, i int) *http.Request {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, _ := mw.CreateFormFile("file", fmt.Sprintf("ev-%d.pdf", i))
		fw.Write(pdf)
		mw.Close()
		req, err := http.NewRequest(http.MethodPost, base+"/api/layers/p/parcels/KC-001/evidence", &body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+crashKey)
		return req
	}

	// How long an upload takes when it is not interrupted.
	cmd, base := serveProcess(t, data)
	start := time.Now()
	resp, err := http.DefaultClient.Do(upload(base, 0))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	full := time.Since(start)
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload: status %d", resp.StatusCode)
	}
	if files, recorded := evidenceState(t, data, "p", "KC-001"); !files["ev-0.pdf"] || !recorded["ev-0.pdf"] {
		t.Fatalf("after an uninterrupted upload: files %v, history %v", files, recorded)
	}

	// Kills spread over the measured time; on a loaded machine an upload may take much longer
	// than it did once, so while no kill has yet found the file stored, later kills follow,
	// each twice as late, up to 64 times the measured time.
	outcomes := map[string]int{}
	fracs := []float64{0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 0.95, 1.05, 1.2, 1.5, 3}
	for i := 0; i < len(fracs); i++ {
		frac := fracs[i]
		cmd, base := serveProcess(t, data)
		req := upload(base, i+1)
		go func() {
			if resp, err := http.DefaultClient.Do(req); err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
		time.Sleep(time.Duration(frac * float64(full)))
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()

		files, recorded := evidenceState(t, data, "p", "KC-001")
		for name := range files {
			if !recorded[name] {
				t.Fatalf("kill at %.0f%%: evidence %s is stored without its history entry", frac*100, name)
			}
		}
		for name := range recorded {
			if !files[name] {
				t.Fatalf("kill at %.0f%%: the history records evidence %s that is not stored", frac*100, name)
			}
		}
		if files[fmt.Sprintf("ev-%d.pdf", i+1)] {
			outcomes["stored"]++
		} else {
			outcomes["not stored"]++
		}
		if i == len(fracs)-1 && outcomes["stored"] == 0 && frac < 64 {
			fracs = append(fracs, 2*frac)
		}
	}
	if outcomes["stored"] == 0 || outcomes["not stored"] == 0 {
		t.Errorf("the kills never found the upload in one of the two states (%v): the moments did not straddle it", outcomes)
	}
	t.Logf("upload of 18 MiB (%v uninterrupted): after the kills the file and its entry were stored %d times, neither %d times",
		full.Round(time.Millisecond), outcomes["stored"], outcomes["not stored"])
}
