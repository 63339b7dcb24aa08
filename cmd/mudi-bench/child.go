package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mudi-gis/mudi/api"
	"github.com/mudi-gis/mudi/app"
)

// childEnv, when set, makes the program (or the test binary) run as the benchmark's mudi server.
const childEnv = "MUDIBENCH_CHILD"

// childMain is the mudi server of the cached-tile HTTP work, run in its own process so that the
// load generator's work is not its own: the store opened and the index loaded, then mudi's API server with
// the settings of `mudi serve` (256 MiB tile cache, JSON access log on stderr) listening on
// 127.0.0.1. It prints "listening ADDR LOAD_MS" on stdout and serves until SIGTERM.
func childMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mudi-bench server", flag.ContinueOnError)
	data := fs.String("data", "", "data directory")
	cacheMB := fs.Int("tile-cache-mb", 256, "tile cache in MiB")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the serving to this file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := serveChild(*data, *cacheMB, *cpuProfile, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "mudi-bench server:", err)
		return 1
	}
	return 0
}

func serveChild(data string, cacheMB int, cpuProfile string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	start := time.Now()
	db, err := openStore(data)
	if err != nil {
		return err
	}
	defer db.Close()
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	core, err := app.New(app.Config{Logger: log, Store: db, TileCacheBytes: int64(cacheMB) << 20})
	if err != nil {
		return err
	}
	if _, err := core.Open(ctx); err != nil {
		return err
	}
	loaded := time.Since(start)
	srv, err := api.New(api.Config{Logger: log, App: core})
	if err != nil {
		return err
	}
	srv.SetReady(true)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	if cpuProfile != "" {
		// The profile starts on SIGUSR1, once the parent has warmed the cache.
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		usr1 := make(chan os.Signal, 1)
		signal.Notify(usr1, syscall.SIGUSR1)
		defer signal.Stop(usr1)
		go func() {
			if _, ok := <-usr1; ok {
				_ = pprof.StartCPUProfile(f)
			}
		}()
		defer pprof.StopCPUProfile()
	}
	// The timeouts of mudi serve with its default request timeout (60 s).
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 2 * time.Minute, WriteTimeout: 90 * time.Second, IdleTimeout: 2 * time.Minute}
	fmt.Fprintf(stdout, "listening %s %d\n", l.Addr(), loaded.Milliseconds())
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// child is a running benchmark server.
type child struct {
	cmd    *exec.Cmd
	addr   string
	loadMS int
	done   chan error
}

// startProfile makes a child started with a CPU profile file begin profiling.
func (c *child) startProfile() error { return c.cmd.Process.Signal(syscall.SIGUSR1) }

// startChild starts the server on the store in dir; its access log goes to logFile.
func startChild(ctx context.Context, dir, logFile, cpuProfile string) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	args := []string{"-data", dir}
	if cpuProfile != "" {
		args = append(args, "-cpuprofile", cpuProfile)
	}
	// The test binary's flags come first when it re-executes itself.
	if strings.HasSuffix(filepath.Base(exe), ".test") {
		args = append([]string{"-test.run=^$"}, args...)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), childEnv+"=serve")
	log, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	defer log.Close()
	cmd.Stderr = log
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, done: make(chan error, 1)}
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- s
		io.Copy(io.Discard, out)
	}()
	go func() { c.done <- cmd.Wait() }()
	select {
	case s := <-line:
		f := strings.Fields(s)
		if len(f) != 3 || f[0] != "listening" {
			c.stop()
			return nil, fmt.Errorf("benchmark server did not start (see %s)", logFile)
		}
		c.addr = f[1]
		c.loadMS, _ = strconv.Atoi(f[2])
		return c, nil
	case <-time.After(5 * time.Minute):
	case <-ctx.Done():
	}
	c.stop()
	return nil, fmt.Errorf("benchmark server did not start in time (see %s)", logFile)
}

// procMemory is the memory of a process from /proc/PID/status, in bytes.
type procMemory struct {
	hwm, rss, rssAnon, rssFile int64 // VmHWM, VmRSS, RssAnon, RssFile
}

// procStatus returns the memory of process pid.
func procStatus(pid int) (procMemory, error) {
	var m procMemory
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return m, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmHWM:":
			m.hwm = kb << 10
		case "VmRSS:":
			m.rss = kb << 10
		case "RssAnon:":
			m.rssAnon = kb << 10
		case "RssFile:":
			m.rssFile = kb << 10
		}
	}
	return m, nil
}

// stop sends SIGTERM and waits for the child (killing it after 15 s).
func (c *child) stop() error {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-c.done:
		return err
	case <-time.After(15 * time.Second):
		_ = c.cmd.Process.Kill()
		return <-c.done
	}
}
