package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// runHealthcheck asks the server on this machine for GET /healthz and succeeds (exit status 0)
// only on a 200; anything else, a refused connection or a timeout exits with 1. It is meant for
// a container's HEALTHCHECK, where no shell or curl is available. The address is --addr, else
// MUDI_ADDR, else :8080; a missing or unspecified host (":8080", "0.0.0.0:8080") means
// 127.0.0.1.
func runHealthcheck(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("mudi healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := getenv("MUDI_ADDR")
	if addr == "" {
		addr = ":8080"
	}
	fs.StringVar(&addr, "addr", addr, "address mudi serve listens on (env MUDI_ADDR)")
	timeout := fs.Duration("timeout", 5*time.Second, "how long to wait for the answer")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("healthcheck: unexpected argument %q", fs.Arg(0))}
	}
	url, err := healthURL(addr)
	if err != nil {
		return usageError{err.Error()}
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return usageError{err.Error()}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: GET %s: %s", url, resp.Status)
	}
	_, err = fmt.Fprintf(stdout, "ok: GET %s: %s\n", url, resp.Status)
	return err
}

// healthURL returns the /healthz URL of a server listening on addr.
func healthURL(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("healthcheck: --addr %q is not host:port or :port", addr)
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz", nil
}
