package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionText(t *testing.T) {
	tests := []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{"source tree without VCS stamping", debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}},
			"mudi (devel)\n  go        go1.26.8\n"},
		{"tagged module", debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123abc"}, {Key: "vcs.time", Value: "2026-12-06T20:00:00Z"}, {Key: "vcs.modified", Value: "false"}}},
			"mudi v1.2.3\n  go        go1.26.8\n  revision  0123abc\n  time      2026-12-06T20:00:00Z\n"},
		{"uncommitted changes", debug.BuildInfo{GoVersion: "go1.26.8",
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123abc"}, {Key: "vcs.modified", Value: "true"}}},
			"mudi (devel)\n  go        go1.26.8\n  revision  0123abc (modified)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := versionText(&tt.bi); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestVersionCommand(t *testing.T) {
	out, err := mudiCmd(t, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := "mudi (devel)\n  go        " + runtime.Version() + "\n"; !strings.HasPrefix(string(out), want) {
		t.Errorf("output %q, want it to start with %q", out, want)
	}
	if err := mudiCmd(t, "version", "extra").Run(); exitStatus(err) != 2 {
		t.Errorf("version extra: %v, want exit status 2", err)
	}
}

// TestVersionReportsTheGitRevision commits a copy of this source tree to a new Git repository,
// builds the real binary there with VCS stamping, and compares the revision it reports with
// git's. (A copy, because go build stamps only inside a repository's own directory, not in a
// linked worktree, and the tree under test may have uncommitted changes.)
func TestVersionReportsTheGitRevision(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		missingTool(t, "git is not installed")
	}
	top, err := exec.Command(git, "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skipf("not in a Git checkout: %v", err)
	}
	src := strings.TrimSpace(string(top))
	list, err := exec.Command(git, "-C", src, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, name := range strings.Split(strings.TrimRight(string(list), "\x00"), "\x00") {
		data, err := os.ReadFile(filepath.Join(src, name))
		if errors.Is(err, os.ErrNotExist) {
			continue // deleted, not yet committed
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gitIn := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(git, append([]string{"-C", dir, "-c", "user.name=mudi test", "-c", "user.email=test@mudi.invalid", "-c", "commit.gpgsign=false"}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	gitIn("init", "-q")
	gitIn("add", "-A")
	gitIn("commit", "-q", "-m", "version test")
	head := gitIn("rev-parse", "HEAD")

	bin := filepath.Join(t.TempDir(), "mudi")
	build := exec.Command("go", "build", "-o", bin, "./cmd/mudi")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOFLAGS=-buildvcs=true")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := "  revision  " + head + "\n"; !strings.Contains(string(out), want) {
		t.Errorf("output %q does not contain %q", out, want)
	}
}

// missingTool ends a test that needs a tool that is missing: it fails when the environment
// variable CI is set (CI installs everything the tests use) and skips, saying why, otherwise.
func missingTool(tb testing.TB, why string) {
	tb.Helper()
	if os.Getenv("CI") != "" {
		tb.Fatal(why + " (CI is set: failing instead of skipping)")
	}
	tb.Skip(why)
}

func exitStatus(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err == nil {
		return 0
	}
	return -1
}

func TestHealthcheck(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := defaultServeConfig()
	cfg.Addr, cfg.Data, cfg.APIKeys, cfg.NoSample = "127.0.0.1:0", t.TempDir(), []string{testAPIKey}, true
	base, done := startServe(t, ctx, cfg)
	addr := strings.TrimPrefix(base, "http://")
	_, port, _ := net.SplitHostPort(addr)

	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer failing.Close()
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedAddr := closed.Addr().String()
	closed.Close()

	tests := []struct {
		name   string
		args   []string
		env    string // MUDI_ADDR
		status int
	}{
		{"serving", []string{"--addr", addr}, "", 0},
		{"port only means this machine", []string{"--addr", ":" + port}, "", 0},
		{"unspecified host means this machine", []string{"--addr", "0.0.0.0:" + port}, "", 0},
		{"address from MUDI_ADDR", nil, ":" + port, 0},
		{"the flag wins over MUDI_ADDR", []string{"--addr", addr}, closedAddr, 0},
		{"nothing listens", []string{"--addr", closedAddr}, "", 1},
		{"healthz answers 503", []string{"--addr", strings.TrimPrefix(failing.URL, "http://")}, "", 1},
		{"not an address", []string{"--addr", "localhost"}, "", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := mudiCmd(t, append([]string{"healthcheck"}, tt.args...)...)
			cmd.Env = append(cmd.Env, "MUDI_ADDR="+tt.env)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if got := exitStatus(cmd.Run()); got != tt.status {
				t.Errorf("exit status %d, want %d\nstdout %s\nstderr %s", got, tt.status, stdout.String(), stderr.String())
			}
			if tt.status == 0 && !strings.HasPrefix(stdout.String(), "ok: GET http://") {
				t.Errorf("stdout %q", stdout.String())
			}
		})
	}
	cancel()
	<-done
}

// TestFixturesGenerateAsTheREADMEWritesIt runs the README's command line (with a smaller -n).
func TestFixturesGenerateAsTheREADMEWritesIt(t *testing.T) {
	dir := t.TempDir()
	out, err := mudiCmd(t, "fixtures", "generate", "-n", "200", "--seed", "1", "-o", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if !strings.HasPrefix(string(out), "wrote 200 parcels to "+filepath.Join(dir, "parcels.geojson")) {
		t.Errorf("output %q", out)
	}
	for _, f := range []string{"parcels.geojson", "control-lines.geojson"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	for _, args := range [][]string{{"fixtures"}, {"fixtures", "generate", "-n", "0", "-o", dir}, {"fixtures", "generate", "generate"}} {
		if err := mudiCmd(t, args...).Run(); exitStatus(err) != 2 {
			t.Errorf("%v: %v, want exit status 2", args, err)
		}
	}
	if out, err := mudiCmd(t, "fixtures", "-h").Output(); err != nil || !strings.Contains(string(out), "usage: mudi fixtures generate") {
		t.Errorf("fixtures -h: %v %q", err, out)
	}
}
