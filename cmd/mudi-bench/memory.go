package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/mudi-gis/mudi/tiles"
)

// The memory work runs mudi as a user does, in processes of its own whose peak memory is read
// from the kernel: the mudi binary, built from this checkout, imports the county with
// `mudi import`, then `mudi serve` opens the store and answers tiles, the three analyses, an
// export and attribute edits over HTTP. Nothing of mudi runs in the harness's process, so the
// harness's own memory (the county's snapshots, the PostGIS answers) is never counted.

// memGoalBytes is the peak-memory goal at 1 000 000 parcels.
const memGoalBytes = 2_000_000_000

// memGoalN is the county size the memory goal is set for.
const memGoalN = 1_000_000

// editField is the attribute the edit-to-visible work changes: 权利人, a text field that tiles
// carry from the detail zoom (tiles.DefaultStyleFields).
const editField = "QLR"

// editZoom is the zoom of the tile fetched after each edit.
const editZoom tiles.Zoom = 14

// editGoal is the goal of the edit-to-visible p99.
const editGoal = 20 * time.Millisecond

// memPhase is one phase of the memory work: how long it took and the process's peak resident
// memory at its end (VmHWM of the server, or the largest peak of the import processes).
type memPhase struct {
	name string
	dur  time.Duration
	hwm  int64 // bytes
	what string
}

// findModuleRoot returns the directory of mudi's go.mod, looked up from the current directory
// upwards (the directory that holds cmd/mudi).
func findModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "cmd", "mudi", "main.go")); err == nil {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				return dir, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("the mudi module (go.mod beside cmd/mudi) not found from the current directory upwards: run from the mudi checkout or pass -mudi")
		}
		dir = parent
	}
}

// buildMudi builds the mudi binary into dir (go build ./cmd/mudi from the module root) and
// returns its path; given, when set, is used as is.
func buildMudi(ctx context.Context, log *logger, given, dir string) (string, error) {
	if given != "" {
		return given, nil
	}
	root, err := findModuleRoot()
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "mudi")
	log.printf("memory: building %s from %s", out, root)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/mudi")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/mudi: %v\n%s", err, stderr.String())
	}
	return out, nil
}

// mudiEnv is the environment of the mudi processes: the harness's without MUDI_* settings
// (mudi reads those as its configuration), plus extra.
func mudiEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MUDI_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// runCLI runs the mudi binary with args to completion and returns its wall time and peak
// resident memory (the kernel's maxrss of the process, in bytes).
//
// Go starts a child as vfork does, sharing this process's memory until the exec, and Linux
// carries the peak of that memory into the child's maxrss: a child started by a harness that
// once held a million parcels would report the harness's peak. So this process first returns
// what it can to the system and resets its own peak to what it holds now (clear_refs), which
// then is the least the child can report.
func runCLI(ctx context.Context, bin, logFile string, args ...string) (time.Duration, int64, error) {
	runtime.GC()
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return 0, 0, fmt.Errorf("reset the harness's peak memory before measuring a child: %w", err)
	}
	log, err := os.Create(logFile)
	if err != nil {
		return 0, 0, err
	}
	defer log.Close()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = mudiEnv()
	cmd.Stdout, cmd.Stderr = log, log
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, 0, fmt.Errorf("mudi %s: %v (see %s)", strings.Join(args, " "), err, logFile)
	}
	d := time.Since(start)
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return d, 0, errors.New("no resource usage of the mudi process")
	}
	return d, ru.Maxrss << 10, nil
}

// memoryLimitArgs are the flags that give mudi the runtime's soft memory limit (none for 0).
func memoryLimitArgs(mb int) []string {
	if mb <= 0 {
		return nil
	}
	return []string{"--memory-limit-mb", strconv.Itoa(mb)}
}

// mudiServer is a running `mudi serve`.
type mudiServer struct {
	cmd  *exec.Cmd
	base string // http://127.0.0.1:PORT
	key  string // its admin API key
	done chan error
}

// startServe starts `mudi serve` on the store in data, listening on a free loopback port with
// an admin key of its own, and waits until GET /readyz answers 200; it returns the time from
// the start of the process to that answer.
func startServe(ctx context.Context, bin, data, logFile string, memoryLimitMB int) (*mudiServer, time.Duration, error) {
	port, err := freePort()
	if err != nil {
		return nil, 0, err
	}
	var secret [16]byte
	if _, err := rand.Read(secret[:]); err != nil {
		return nil, 0, err
	}
	key := hex.EncodeToString(secret[:])
	log, err := os.Create(logFile)
	if err != nil {
		return nil, 0, err
	}
	defer log.Close()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command(bin, append([]string{"serve", "--addr", addr, "--data", data, "--no-sample"}, memoryLimitArgs(memoryLimitMB)...)...)
	cmd.Env = mudiEnv("MUDI_API_KEYS=bench:admin:" + key)
	cmd.Stdout, cmd.Stderr = log, log
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, 0, err
	}
	s := &mudiServer{cmd: cmd, base: "http://" + addr, key: key, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		resp, err := client.Get(s.base + "/readyz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, time.Since(start), nil
			}
		}
		select {
		case err := <-s.done:
			s.done <- err
			return nil, 0, fmt.Errorf("mudi serve stopped before it was ready: %v (see %s)", err, logFile)
		case <-ctx.Done():
			s.stop()
			return nil, 0, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
		if time.Since(start) > 10*time.Minute {
			s.stop()
			return nil, 0, fmt.Errorf("mudi serve not ready after 10 minutes (see %s)", logFile)
		}
	}
}

// memory returns the server's memory from /proc/PID/status.
func (s *mudiServer) memory() (procMemory, error) { return procStatus(s.cmd.Process.Pid) }

// stop sends SIGTERM and waits for the server to drain and exit (killing it after 60 s).
func (s *mudiServer) stop() error {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		return err
	case <-time.After(time.Minute):
		_ = s.cmd.Process.Kill()
		return fmt.Errorf("mudi serve did not stop within a minute of SIGTERM: %v", <-s.done)
	}
}

// request sends one request, as a browser does with "Accept-Encoding: gzip", and reads the
// whole answer as it came (see plain); the status must be one of ok.
func (s *mudiServer) request(ctx context.Context, client *http.Client, method, path, contentType string, body []byte, ok ...int) (*http.Response, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, rd)
	if err != nil {
		return nil, nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if method != http.MethodGet {
		req.Header.Set("Authorization", "Bearer "+s.key)
	}
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	for _, code := range ok {
		if resp.StatusCode == code {
			return resp, b, nil
		}
	}
	b, _ = plain(resp, b)
	return nil, nil, fmt.Errorf("%s %s: status %d: %.300s", method, path, resp.StatusCode, b)
}

// plain returns the body of an answer without its gzip content coding.
func plain(resp *http.Response, body []byte) ([]byte, error) {
	if resp.Header.Get("Content-Encoding") != "gzip" {
		return body, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// discard sends a GET and streams the answer, which must be 200, to io.Discard; it returns the
// bytes received.
func (s *mudiServer) discard(ctx context.Context, client *http.Client, path string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+path, nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return 0, fmt.Errorf("GET %s: status %d: %s", path, resp.StatusCode, b)
	}
	return io.Copy(io.Discard, resp.Body)
}

// layerInfo is what the memory work reads of GET /api/layers/{id}.
type layerInfo struct {
	Bounds       []float64 `json:"bounds"`
	FeatureCount int       `json:"feature_count"`
}

// memoryAnalyses are the three policy questions as a user of the API asks them (POST
// /api/analyses): small parcels, parcels outside or across the control line, and contiguous
// blocks of all parcels bridging 20 m gaps.
var memoryAnalyses = []struct{ name, body string }{
	{"small parcels (< 50 亩)", `{"layer":"parcels","max_mu":50}`},
	{"outside the control line", `{"layer":"parcels","control":"control-lines","overlay":true,"positions":["outside","straddling"]}`},
	{"contiguous blocks (all parcels, 20 m, ≥ 300 亩)", `{"layer":"parcels","group":true,"status":["*"],"tolerance_m":20,"min_mu":300}`},
}

// memoryTiles picks up to n distinct tiles from the zoom groups of the tile list, taking the
// groups in turn (the first distinct tile of each, then the second …) so that every zoom is
// represented while it has tiles left.
func memoryTiles(groups [][]tiles.Coord, n int) []tiles.Coord {
	distinct := make([][]tiles.Coord, len(groups))
	seen := map[tiles.Coord]bool{}
	for i, g := range groups {
		for _, c := range g {
			if !seen[c] {
				seen[c] = true
				distinct[i] = append(distinct[i], c)
			}
		}
	}
	var out []tiles.Coord
	for k := 0; len(out) < n; k++ {
		added := false
		for _, d := range distinct {
			if k < len(d) && len(out) < n {
				out = append(out, d[k])
				added = true
			}
		}
		if !added {
			break
		}
	}
	return out
}

// restartGoal is the restart goal for a county of n parcels: 1 s at 100 000 parcels and 8 s at
// 1 000 000, linear in between and beyond 1 000 000; 1 s below 100 000.
func restartGoal(n int) time.Duration {
	const lo, hi = 100_000, 1_000_000
	if n <= lo {
		return time.Second
	}
	s := 1 + 7*float64(n-lo)/float64(hi-lo)
	return time.Duration(s * float64(time.Second)).Round(10 * time.Millisecond)
}

func restartGoalCell(n int) string {
	return fmt.Sprintf("≤ %s at %d parcels (1 s at 100 000, 8 s at 1 000 000, linear between)", fmtDur(restartGoal(n)), n)
}

// memoryWork runs the memory work and the edit-to-visible work and adds their rows.
func (b *bench) memoryWork(ctx context.Context) error {
	cfg := b.cfg
	dir := filepath.Join(b.work, "memory")
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		return err
	}
	bin, err := buildMudi(ctx, b.log, cfg.Mudi, filepath.Join(dir, "bin"))
	if err != nil {
		return err
	}
	data := filepath.Join(dir, "data")
	var phases []memPhase

	b.log.printf("memory: mudi import of the control layer")
	limit := memoryLimitArgs(b.cfg.MemoryLimitMB)
	dc, rc, err := runCLI(ctx, bin, filepath.Join(dir, "import-control.log"), append([]string{"import", b.controlFile,
		"--layer", controlLayer, "--kind", "control", "--data", data}, limit...)...)
	if err != nil {
		return err
	}
	b.log.printf("  %.2f s, peak %s; mudi import of the parcels layer", dc.Seconds(), fmtBytes(rc))
	dp, rp, err := runCLI(ctx, bin, filepath.Join(dir, "import-parcels.log"), append([]string{"import", b.parcelsFile,
		"--layer", parcelsLayer, "--kind", "parcels", "--control", controlLayer, "--data", data}, limit...)...)
	if err != nil {
		return err
	}
	b.log.printf("  %.2f s, peak %s", dp.Seconds(), fmtBytes(rp))
	phases = append(phases, memPhase{name: "`mudi import` of the parcels layer (process peak)", dur: dp, hwm: rp,
		what: fmt.Sprintf("control layer before it: %s, peak %s", fmtDur(dc), fmtBytes(rc))})

	b.log.printf("memory: mudi serve")
	srv, ready, err := startServe(ctx, bin, data, filepath.Join(dir, "serve.log"), b.cfg.MemoryLimitMB)
	if err != nil {
		return err
	}
	stopped := false
	defer func() {
		if !stopped {
			srv.stop()
		}
	}()
	var last procMemory
	hwm := func(name string, d time.Duration, what string) error {
		m, err := srv.memory()
		if err != nil {
			return err
		}
		last = m
		phases = append(phases, memPhase{name: name, dur: d, hwm: m.hwm, what: what})
		b.log.printf("  %s: %s, VmHWM %s", name, fmtDur(d), fmtBytes(m.hwm))
		return nil
	}
	if err := hwm("`mudi serve` ready after restart (process start → /readyz 200)", ready, ""); err != nil {
		return err
	}
	client := &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 4}, Timeout: 10 * time.Minute}

	resp, body, err := srv.request(ctx, client, http.MethodGet, "/api/layers/"+parcelsLayer, "", nil, http.StatusOK)
	if err == nil {
		body, err = plain(resp, body)
	}
	if err != nil {
		return err
	}
	var li layerInfo
	if err := json.Unmarshal(body, &li); err != nil || len(li.Bounds) != 4 {
		return fmt.Errorf("GET /api/layers/%s: no bounds in %.200s (%v)", parcelsLayer, body, err)
	}
	bound := orb.Bound{Min: orb.Point{li.Bounds[0], li.Bounds[1]}, Max: orb.Point{li.Bounds[2], li.Bounds[3]}}

	// Tiles: distinct tiles of the harness's tile list, one request at a time.
	coords := memoryTiles(tileList(bound, cfg.Seed, cfg.Z10, cfg.Z12, cfg.Z14Max, cfg.Z16), cfg.MemoryTiles)
	b.log.printf("memory: %d distinct tiles over HTTP", len(coords))
	start := time.Now()
	var tileBytes int64
	empty := 0
	for _, c := range coords {
		resp, body, err := srv.request(ctx, client, http.MethodGet, fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", parcelsLayer, c.Z, c.X, c.Y), "", nil, http.StatusOK, http.StatusNoContent)
		if err != nil {
			return err
		}
		if resp.StatusCode == http.StatusNoContent {
			empty++
		}
		tileBytes += int64(len(body))
	}
	if err := hwm(fmt.Sprintf("after %d distinct tiles z10–z16 over HTTP", len(coords)), time.Since(start),
		fmt.Sprintf("%d empty; %.1f KB per tile with gzip", empty, float64(tileBytes)/float64(max(1, len(coords)-empty))/1024)); err != nil {
		return err
	}

	// The three analyses.
	b.log.printf("memory: the three analyses over HTTP")
	start = time.Now()
	var parts []string
	for _, a := range memoryAnalyses {
		t := time.Now()
		_, body, err := srv.request(ctx, client, http.MethodPost, "/api/analyses", "application/json", []byte(a.body), http.StatusOK)
		if err != nil {
			return err
		}
		parts = append(parts, fmt.Sprintf("%s %s (%s answer)", a.name, fmtDur(time.Since(t)), fmtBytes(int64(len(body)))))
	}
	if err := hwm("after the three analyses over HTTP", time.Since(start), strings.Join(parts, "; ")); err != nil {
		return err
	}

	// One export, streamed.
	b.log.printf("memory: export of the parcels layer as GeoPackage over HTTP")
	start = time.Now()
	n, err := srv.discard(ctx, client, "/api/layers/"+parcelsLayer+"/export?format=gpkg")
	if err != nil {
		return err
	}
	if err := hwm("after the export of the parcels layer as GeoPackage over HTTP", time.Since(start), fmtBytes(n)); err != nil {
		return err
	}

	// Edit to visible.
	lat, stale, err := b.editsToVisible(ctx, srv, client, li.FeatureCount)
	if err != nil {
		return err
	}
	if err := hwm(fmt.Sprintf("after %d edits, each followed by its tile", len(lat)), sumDur(lat), ""); err != nil {
		return err
	}
	stopped = true
	if err := srv.stop(); err != nil {
		return fmt.Errorf("mudi serve: %w (see %s)", err, filepath.Join(dir, "serve.log"))
	}

	// Rows.
	var peak int64
	for i, p := range phases {
		peak = max(peak, p.hwm)
		r := row{work: "memory: " + p.name, mudi: [3]string{fmtDur(p.dur), "", "peak " + fmtBytes(p.hwm)},
			pg: [3]string{"—", "—", "—"}, ratio: "—"}
		if i == 1 {
			r.goal, r.met = restartGoalCell(li.FeatureCount), yes(p.dur <= restartGoal(li.FeatureCount))
		}
		if p.what != "" {
			r.work += " — " + p.what
		}
		b.rows = append(b.rows, r)
	}
	met := fmt.Sprintf("not judged: %d parcels (run -n 1000000)", li.FeatureCount)
	if li.FeatureCount >= memGoalN {
		met = yes(peak <= memGoalBytes)
	}
	b.rows = append(b.rows, row{work: fmt.Sprintf("peak memory at %d parcels (largest of the %d memory rows above)", li.FeatureCount, len(phases)),
		mudi: [3]string{"", "", fmtBytes(peak)}, pg: [3]string{"—", "—", "—"}, ratio: "—",
		goal: "≤ 2 GB at 1 000 000 parcels", met: met})
	s := summarize(lat)
	metEdit := yes(s.p99 <= editGoal && len(stale) == 0)
	if len(stale) > 0 {
		metEdit += fmt.Sprintf(" (%d tiles without the edit)", len(stale))
	}
	b.rows = append(b.rows, row{work: fmt.Sprintf("edit to visible (%d parcels: PATCH %s, TileJSON, the z%d tile with the new value)", li.FeatureCount, editField, editZoom),
		mudi: [3]string{fmtDur(s.median), fmtDur(s.p99), fmt.Sprintf("%d edits", len(lat))}, pg: [3]string{"—", "—", "—"}, ratio: "—",
		goal: "p99 ≤ 20 ms at 100 000 parcels", met: metEdit})
	b.checks = append(b.checks, &check{name: "edits visible in the next tile", compared: len(lat), unit: "edits", mismatches: stale, alone: true,
		note: fmt.Sprintf("each z%d tile fetched at the URL the TileJSON names after the edit carries the new %s of the edited parcel", editZoom, editField)})
	b.notes = append(b.notes, fmt.Sprintf("Memory: the mudi binary built from this checkout (`go build ./cmd/mudi`), run as a user runs it, in processes of its own: `mudi import` of the control layer, then of the parcels layer (peak = the kernel's maxrss of each process after it exited), then `mudi serve` on that store (default settings: 256 MiB tile cache, JSON access log; an admin key), both with `--memory-limit-mb %d` (0: none), on 127.0.0.1; peak = VmHWM from /proc/PID/status of the server at the end of each phase (it only grows), read before SIGTERM. Phases over HTTP, one request at a time: %d distinct tiles of the tile list (its zooms in turn), `POST /api/analyses` for small parcels, parcels outside the control line and contiguous blocks, `GET /api/layers/parcels/export?format=gpkg` streamed and discarded. The harness's own process (which holds the county for the other works) is not counted. At the end the server held %s resident: %s anonymous (heap, index, tile cache) and %s file pages (the store's memory map).",
		b.cfg.MemoryLimitMB, len(coords), fmtBytes(last.rss), fmtBytes(last.rssAnon), fmtBytes(last.rssFile)))
	b.notes = append(b.notes, fmt.Sprintf("Edit to visible: on the same server, %d parcels drawn at random (seed %d); for each, untimed, its feature (GET /api/layers/parcels/features/{id}) and its z%d tile as the map shows it (TileJSON, then the tile); then, timed from the start of `PATCH /api/layers/parcels/features/{id}` ({\"%s\": a new value}, admin key) to the last byte of the tile: the PATCH, `GET /tiles/parcels.json` for the new versioned tile URL, and that tile (gzip, as a browser asks). Each tile is then decoded and must carry the new value on that parcel.",
		len(lat), cfg.Seed, editZoom, editField))
	return nil
}

// editsToVisible edits cfg.Edits random parcels and times each edit until its tile, fetched at
// the URL the TileJSON then names, has arrived; stale lists the tiles that did not show the
// edit.
func (b *bench) editsToVisible(ctx context.Context, srv *mudiServer, client *http.Client, count int) (lat []time.Duration, stale []string, err error) {
	if count == 0 {
		return nil, nil, errors.New("edit to visible: the parcels layer is empty")
	}
	b.log.printf("edit to visible: %d edits", b.cfg.Edits)
	rng := mrand.New(mrand.NewPCG(uint64(b.cfg.Seed), 14))
	tileJSON := "/tiles/" + parcelsLayer + ".json"
	tileURL := func() (string, error) {
		resp, body, err := srv.request(ctx, client, http.MethodGet, tileJSON, "", nil, http.StatusOK)
		if err == nil {
			body, err = plain(resp, body)
		}
		if err != nil {
			return "", err
		}
		var tj struct{ Tiles []string }
		if err := json.Unmarshal(body, &tj); err != nil || len(tj.Tiles) == 0 {
			return "", fmt.Errorf("GET %s: no tile URL in %.200s", tileJSON, body)
		}
		return tj.Tiles[0], nil
	}
	// fetchTile returns the answer as it came; plain decodes it.
	fetchTile := func(tmpl string, c tiles.Coord) (*http.Response, []byte, error) {
		u := strings.NewReplacer("{z}", strconv.Itoa(int(c.Z)), "{x}", strconv.Itoa(int(c.X)), "{y}", strconv.Itoa(int(c.Y))).Replace(tmpl)
		path, ok := strings.CutPrefix(u, srv.base)
		if !ok {
			return nil, nil, fmt.Errorf("TileJSON names %s, not a URL of the server %s", u, srv.base)
		}
		return srv.request(ctx, client, http.MethodGet, path, "", nil, http.StatusOK)
	}
	for i := 0; len(lat) < b.cfg.Edits; i++ {
		if i >= 4*b.cfg.Edits {
			return nil, nil, fmt.Errorf("edit to visible: no parcel found at %d random ids", i)
		}
		id := 1 + rng.IntN(count)
		fpath := fmt.Sprintf("/api/layers/%s/features/%d", parcelsLayer, id)
		resp, body, err := srv.request(ctx, client, http.MethodGet, fpath, "", nil, http.StatusOK, http.StatusNotFound)
		if err == nil {
			body, err = plain(resp, body)
		}
		if err != nil {
			return nil, nil, err
		}
		if resp.StatusCode == http.StatusNotFound {
			continue
		}
		f, err := geojson.UnmarshalFeature(body)
		if err != nil || f.Geometry == nil {
			return nil, nil, fmt.Errorf("GET %s: %v", fpath, err)
		}
		c, ok := vertexTile(f.Geometry, editZoom)
		if !ok {
			return nil, nil, fmt.Errorf("GET %s: a geometry without vertices", fpath)
		}
		// The map shows the tile before the edit.
		tmpl, err := tileURL()
		if err != nil {
			return nil, nil, err
		}
		if _, _, err := fetchTile(tmpl, c); err != nil {
			return nil, nil, err
		}
		value := fmt.Sprintf("mudi-bench edit %d of seed %d", len(lat)+1, b.cfg.Seed)
		patch, _ := json.Marshal(map[string]string{editField: value})

		start := time.Now()
		if _, _, err := srv.request(ctx, client, http.MethodPatch, fpath, "application/merge-patch+json", patch, http.StatusOK); err != nil {
			return nil, nil, err
		}
		tmpl, err = tileURL()
		if err != nil {
			return nil, nil, err
		}
		var tile []byte
		resp, tile, err = fetchTile(tmpl, c)
		d := time.Since(start)
		if err == nil {
			tile, err = plain(resp, tile)
		}
		if err != nil {
			return nil, nil, err
		}
		lat = append(lat, d)
		got, found, err := mvtProp(tile, parcelsLayer, uint64(id), editField)
		switch {
		case err != nil:
			stale = append(stale, fmt.Sprintf("parcel %d, tile %v: %v", id, c, err))
		case !found:
			stale = append(stale, fmt.Sprintf("parcel %d: not in tile %v", id, c))
		case got != value:
			stale = append(stale, fmt.Sprintf("parcel %d, tile %v: %s is %v, want %q", id, c, editField, got, value))
		}
	}
	return lat, stale, nil
}

// vertexTile returns the tile at zoom z holding the first vertex of g: a polygon's vertex lies
// on its outline, so the polygon reaches into that tile (or its buffer).
func vertexTile(g orb.Geometry, z tiles.Zoom) (tiles.Coord, bool) {
	var p orb.Point
	switch g := g.(type) {
	case orb.Polygon:
		if len(g) == 0 || len(g[0]) == 0 {
			return tiles.Coord{}, false
		}
		p = g[0][0]
	case orb.MultiPolygon:
		if len(g) == 0 || len(g[0]) == 0 || len(g[0][0]) == 0 {
			return tiles.Coord{}, false
		}
		p = g[0][0][0]
	default:
		return tiles.Coord{}, false
	}
	if math.IsNaN(p[0]) || math.IsNaN(p[1]) {
		return tiles.Coord{}, false
	}
	return tiles.CoordAt(p, z), true
}

func sumDur(ds []time.Duration) time.Duration {
	var s time.Duration
	for _, d := range ds {
		s += d
	}
	return s
}

// prepare makes the working directory and finds or generates the county's files.
func (b *bench) prepare() error {
	cfg := b.cfg
	var err error
	if b.work = cfg.Work; b.work == "" {
		if b.work, err = os.MkdirTemp("", "mudi-bench-"); err != nil {
			return err
		}
		b.removeWork = !cfg.Keep
	}
	if err := os.MkdirAll(b.work, 0o755); err != nil {
		return err
	}
	cache := cfg.Cache
	if cache == "" {
		cache = filepath.Join(os.TempDir(), fmt.Sprintf("mudi-bench-county-n%d-s%d", cfg.N, cfg.Seed))
	}
	b.parcelsFile, b.controlFile, err = countyFiles(b.log, cache, cfg.N, cfg.Seed)
	return err
}

// runMemoryOnly runs only the memory work and the edit-to-visible work (no PostGIS).
func (b *bench) runMemoryOnly(ctx context.Context, stdout io.Writer) error {
	load := loadAverage()
	if err := b.prepare(); err != nil {
		return err
	}
	b.notes = append(b.notes, fmt.Sprintf("County: %d parcels (fixtures.Generate, seed %d). Machine: %d CPUs, %s; load average at start %s. Memory and edits only (-memory-only): no PostGIS.",
		b.cfg.N, b.cfg.Seed, runtime.NumCPU(), runtime.Version(), load))
	if err := b.memoryWork(ctx); err != nil {
		return err
	}
	b.notes[0] += " Load average at the end: " + loadAverage() + "."
	if err := b.output(stdout); err != nil {
		return err
	}
	for _, c := range b.checks {
		if len(c.mismatches) > 0 {
			return errStale
		}
	}
	return nil
}

// errStale is returned when a tile fetched after an edit did not show it; the table has been
// printed.
var errStale = errors.New("a tile fetched after an edit did not show it (see above)")
