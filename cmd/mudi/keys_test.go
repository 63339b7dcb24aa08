package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

var printedKey = regexp.MustCompile(`mudi_[0-9a-f]{48}`)

// Without MUDI_API_KEYS a key is generated at first start, printed once, stored hashed, and
// accepted for writes after a restart.
func TestGeneratedKeyIsPrintedOnceAndWorks(t *testing.T) {
	cfg := defaultServeConfig()
	cfg.Addr, cfg.Data, cfg.NoSample = "127.0.0.1:0", t.TempDir(), true

	var first bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	_, done := startServeTo(t, ctx, cfg, &first)
	cancel()
	<-done
	key := printedKey.FindString(first.String())
	if key == "" {
		t.Fatalf("first start printed no key: %q", first.String())
	}

	// Second start: nothing printed, and the key from the first start is accepted.
	var second bytes.Buffer
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	base, done := startServeTo(t, ctx, cfg, &second)
	if printedKey.MatchString(second.String()) {
		t.Error("the key was printed again at the second start")
	}
	body := `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[118.87,28.94],[118.871,28.94],[118.871,28.941],[118.87,28.94]]]}}]}`
	for _, tt := range []struct {
		key  string
		want int
	}{{key, 201}, {"mudi_wrong", 403}} {
		req, _ := http.NewRequest("POST", base+"/api/layers?id=k"+tt.key[len(tt.key)-4:], strings.NewReader(body))
		req.Header.Set("Content-Type", "application/geo+json")
		req.Header.Set("Authorization", "Bearer "+tt.key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("write with key %q… = %d, want %d", tt.key[:8], resp.StatusCode, tt.want)
		}
	}
	cancel()
	<-done
}

// SIGTERM drains and stops the server cleanly: exit status 0 and a final log line.
func TestSIGTERMStopsServeCleanly(t *testing.T) {
	cmd := mudiCmd(t, "serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--no-sample", "--api-keys", testAPIKey)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	var addr string
	for addr == "" && sc.Scan() {
		var line struct{ Msg, Addr string }
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
			addr = line.Addr
		}
	}
	if addr == "" {
		t.Fatal("serve did not report its address")
	}
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("readyz: %v %v", err, resp)
	}
	resp.Body.Close()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(stderr)
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", err, rest)
		}
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("serve did not stop within 10 s of SIGTERM")
	}
	if !strings.Contains(string(rest), "mudi stopped") {
		t.Errorf("no final log line:\n%s", rest)
	}
}

// testAPIKey is the admin key of the serve tests (a bare secret: an admin key named key1).
const testAPIKey = "serve-test-key-0123456789"

func TestParseKeys(t *testing.T) {
	keys, err := parseKeys([]string{"zhang:editor:zhang-secret-0123456", "li:reviewer:li-secret-012345678", "bare-secret-0123456789"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range keys {
		got = append(got, fmt.Sprintf("%s:%s", k.Name, k.Role))
		if strings.Contains(k.Hash, "secret") || len(k.Hash) != 64 {
			t.Errorf("key %s is not kept as a hash: %q", k.Name, k.Hash)
		}
	}
	if want := "zhang:editor li:reviewer key1:admin"; strings.Join(got, " ") != want {
		t.Errorf("keys = %v, want %s", got, want)
	}
	for _, bad := range []struct{ entry, want string }{
		{"zhang:editor:short", "key zhang is too weak"},
		{"short", "key key1 is too weak"},
		{"zhang:boss:zhang-secret-0123456", `role "boss"`},
		{":editor:zhang-secret-0123456", "empty name"},
	} {
		_, err := parseKeys([]string{bad.entry}, nil)
		if err == nil || !strings.Contains(err.Error(), bad.want) || strings.Contains(err.Error(), "secret-0123456") {
			t.Errorf("parseKeys(%q) = %v, want an error saying %q without the secret", bad.entry, err, bad.want)
		}
		if exitCode(err) != 2 {
			t.Errorf("parseKeys(%q): exit code %d, want 2", bad.entry, exitCode(err))
		}
	}
}

// A weak key is refused at start: the server does not listen.
func TestWeakKeyIsRefusedAtStart(t *testing.T) {
	out, err := mudiCmd(t, "serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--no-sample", "--api-keys", "ops:admin:tooshort").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "key ops is too weak") || strings.Contains(string(out), "tooshort") {
		t.Fatalf("serve with a weak key: %v\n%s", err, out)
	}
}
