package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestWriteOutput: a regular file is replaced atomically with mode 0644 and nothing is left
// behind on failure; /dev/null, a FIFO and a symlink are written through, never replaced.
func TestWriteOutput(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) func(io.Writer, string) error {
		return func(w io.Writer, _ string) error { _, err := io.WriteString(w, s); return err }
	}

	regular := filepath.Join(dir, "out.geojson")
	if err := os.WriteFile(regular, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := writeOutput(regular, io.Discard, write("new")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(regular); string(b) != "new" {
		t.Errorf("regular file = %q", b)
	}
	if st, _ := os.Stat(regular); st.Mode().Perm() != 0o644 {
		t.Errorf("mode = %v, want 0644", st.Mode().Perm())
	}
	failing := func(w io.Writer, _ string) error { io.WriteString(w, "part"); return io.ErrUnexpectedEOF }
	if err := writeOutput(regular, io.Discard, failing); err == nil {
		t.Error("a failed write reported success")
	}
	if b, _ := os.ReadFile(regular); string(b) != "new" {
		t.Errorf("a failed write changed the file: %q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}

	// /dev/null stays a device.
	if err := writeOutput(os.DevNull, io.Discard, write("x")); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(os.DevNull); err != nil || st.Mode()&os.ModeDevice == 0 {
		t.Fatalf("%s is no longer a device: %v %v", os.DevNull, st.Mode(), err)
	}

	// A FIFO is written through: a reader gets the bytes.
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- err.Error()
			return
		}
		b, _ := io.ReadAll(f)
		f.Close()
		got <- string(b)
	}()
	if err := writeOutput(fifo, io.Discard, write("through the pipe")); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "through the pipe" {
		t.Errorf("FIFO reader got %q", s)
	}
	if st, _ := os.Lstat(fifo); st.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v", st.Mode())
	}

	// A symlink to a regular file: the link stays a link.
	target := filepath.Join(dir, "target.txt")
	os.WriteFile(target, []byte("old"), 0o644)
	link := filepath.Join(dir, "link.txt")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := writeOutput(link, io.Discard, write("via link")); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Lstat(link); st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the symlink was replaced by a file")
	}
	if b, _ := os.ReadFile(target); string(b) != "via link" {
		t.Errorf("target = %q", b)
	}

	// "-" is standard output.
	var out bytes.Buffer
	if err := writeOutput("-", &out, write("stdout")); err != nil || !strings.Contains(out.String(), "stdout") {
		t.Errorf("stdout: %v %q", err, out.String())
	}
}
