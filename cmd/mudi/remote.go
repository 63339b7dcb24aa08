package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// fetchFromServer asks a running mudi server for path (with query q) — for the reading commands
// while the server owns the data directory — and writes the answer to output through
// writeOutput. A 4xx problem becomes a usage error quoting its detail.
func fetchFromServer(ctx context.Context, server, path string, q url.Values, output string, stdout io.Writer) error {
	u, err := url.Parse(strings.TrimSuffix(server, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageError{fmt.Sprintf("--server %q is not an http(s) URL such as http://localhost:8080", server)}
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	u.RawQuery = q.Encode()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("ask %s: %w", server, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var p struct {
			Detail string `json:"detail"`
			Title  string `json:"title"`
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		_ = json.Unmarshal(b, &p)
		msg := p.Detail
		if msg == "" {
			msg = p.Title
		}
		if resp.StatusCode >= 400 && resp.StatusCode < 500 {
			return usageError{fmt.Sprintf("%s answers %d: %s", server, resp.StatusCode, msg)}
		}
		return fmt.Errorf("%s answers %d: %s", server, resp.StatusCode, msg)
	}
	return writeOutput(output, stdout, func(w io.Writer, _ string) error {
		_, err := io.Copy(w, resp.Body)
		return err
	})
}

// exportFromServer exports through a running server's API: layers by format, the ledger and
// the report as workbooks.
func exportFromServer(ctx context.Context, cfg exportConfig, stdout io.Writer) error {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	switch cfg.Format {
	case "ledger":
		set("layer", cfg.Layer)
		set("as_of", cfg.AsOf)
		q.Set("format", "xlsx")
		return fetchFromServer(ctx, cfg.Server, "/api/ledger", q, cfg.Output, stdout)
	case "report":
		set("layer", cfg.Layer)
		set("month", cfg.Month)
		set("group_by", cfg.GroupBy)
		q.Set("format", "xlsx")
		return fetchFromServer(ctx, cfg.Server, "/api/report", q, cfg.Output, stdout)
	}
	set("format", cfg.Format)
	set("crs", cfg.CRS)
	set("encoding", cfg.Encoding)
	set("as_of", cfg.AsOf)
	return fetchFromServer(ctx, cfg.Server, "/api/layers/"+url.PathEscape(cfg.Layer)+"/export", q, cfg.Output, stdout)
}
