package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mudi-gis/mudi/app"
	"github.com/mudi-gis/mudi/fixtures"
	"github.com/mudi-gis/mudi/spatial/analysis"
)

// shiftedGeoJSON returns the GeoJSON document data with every position moved dx degrees east.
func shiftedGeoJSON(t testing.TB, data []byte, dx float64) []byte {
	t.Helper()
	out, err := fixtures.ShiftEast(data, dx)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkDerivedCurrent fails unless every parcel of layer parcels carries the computed
// attributes of its control layer as published now.
func checkDerivedCurrent(t testing.TB, core *app.App, parcels string) {
	t.Helper()
	p := core.Index().Layer(parcels)
	c := core.Index().Layer(p.Layer.ControlLayer)
	if p.Layer.ControlVersion != c.Layer.Version {
		t.Fatalf("layer %s was derived against version %d of %s, which is at version %d", parcels, p.Layer.ControlVersion, c.Layer.ID, c.Layer.Version)
	}
	want, err := analysis.Derive(context.Background(), p, c, analysis.DeriveOptions{KeepArea: true})
	if err != nil {
		t.Fatal(err)
	}
	stale := 0
	for _, f := range p.Features() {
		w := want[f.ID]
		if f.Derived.ControlPosition != w.ControlPosition || f.Derived.OutsideRatio != w.OutsideRatio {
			stale++
		}
	}
	if stale > 0 {
		t.Fatalf("%d of %d parcels carry computed attributes of another version of the control layer", stale, p.Len())
	}
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// notifyEOF calls done once its reader has been read to the end.
type notifyEOF struct {
	r    io.Reader
	once sync.Once
	done func()
}

func (n *notifyEOF) Read(p []byte) (int, error) {
	k, err := n.r.Read(p)
	if err == io.EOF {
		n.once.Do(n.done)
	}
	return k, err
}

// TestClientDisconnectDuringControlReplace sends a control layer replacement and hangs up as
// soon as the body is sent, at several moments: whatever the moment, the parcels layer ends up
// derived against the control layer as stored, and the access log records the status the
// write really had (200 when it was applied, a 4xx when the body was cut short).
func TestClientDisconnectDuringControlReplace(t *testing.T) {
	var logs syncBuffer
	ts := newTestServerWith(t, func(c *Config, _ *app.Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
		c.MaxBodyBytes = 64 << 20
	})
	ts.loadSample()
	control, err := fixtures.SampleControl()
	if err != nil {
		t.Fatal(err)
	}
	applied := 0
	for i, delay := range []time.Duration{0, time.Millisecond, 5 * time.Millisecond, 20 * time.Millisecond, 60 * time.Millisecond, 200 * time.Millisecond, time.Second, 3 * time.Second} {
		before := ts.index.Layer("control-lines").Layer.Version
		body := shiftedGeoJSON(t, control, 0.002*float64(i+1))
		ctx, cancel := context.WithCancel(context.Background())
		r := &notifyEOF{r: bytes.NewReader(body), done: func() { time.AfterFunc(delay, cancel) }}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPut, ts.http.URL+"/api/layers/control-lines", r)
		req.Header.Set("Content-Type", "application/geo+json")
		req.Header.Set("Authorization", "Bearer "+testKey)
		req.ContentLength = int64(len(body))
		if resp, err := http.DefaultClient.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		cancel()
		// Wait for the server to finish the request: its access log line.
		var status int
		deadline := time.Now().Add(30 * time.Second)
		for status == 0 && time.Now().Before(deadline) {
			for _, line := range strings.Split(logs.String(), "\n") {
				var m map[string]any
				if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "request" && m["method"] == "PUT" {
					status = int(m["status"].(float64))
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
		logs.mu.Lock()
		logs.b.Reset()
		logs.mu.Unlock()
		after := ts.index.Layer("control-lines").Layer.Version
		switch {
		case status == 0:
			t.Fatalf("delay %v: no access log line for the PUT", delay)
		case status >= 500:
			t.Fatalf("delay %v: a client hanging up is logged as a server failure (%d)", delay, status)
		case status == http.StatusOK && after != before+1:
			t.Fatalf("delay %v: logged 200 but the control layer is at version %d (was %d)", delay, after, before)
		case status != http.StatusOK && after != before:
			t.Fatalf("delay %v: logged %d but the control layer moved from version %d to %d", delay, status, before, after)
		case status == http.StatusOK:
			applied++
		}
		checkDerivedCurrent(t, ts.app, "parcels")
		t.Logf("hang-up %v after the body: status %d, control layer version %d → %d", delay, status, before, after)
	}
	if applied == 0 {
		t.Error("no replacement was applied: the test did not exercise a disconnect during the write")
	}
}
