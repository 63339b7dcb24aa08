package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// httpResult is the outcome of an HTTP load.
type httpResult struct {
	lat   []time.Duration
	wall  time.Duration
	bytes int64 // body bytes received
}

// loadHTTP sends total GET requests for paths (cycled) to addr over conns keep-alive
// connections, one request at a time on each (no pipelining), as a browser or wrk does, with
// "Accept-Encoding: gzip". Every answer must be 200 with a body. The client is a minimal
// HTTP/1.1 reader (status line, headers, Content-Length or chunked body) so that it takes as
// little of the machine's two cores from the server as it can.
func loadHTTP(ctx context.Context, addr string, paths []string, total, conns int) (*httpResult, error) {
	reqs := make([][]byte, len(paths))
	for i, p := range paths {
		reqs[i] = []byte("GET " + p + " HTTP/1.1\r\nHost: " + addr + "\r\nUser-Agent: mudi-bench\r\nAccept-Encoding: gzip\r\n\r\n")
	}
	res := &httpResult{lat: make([]time.Duration, total)}
	var next atomic.Int64
	var received atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, conns)
	start := time.Now()
	for w := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				errs[w] = err
				return
			}
			defer conn.Close()
			r := bufio.NewReaderSize(conn, 64<<10)
			var n int64
			defer func() { received.Add(n) }()
			for {
				i := int(next.Add(1) - 1)
				if i >= total || ctx.Err() != nil {
					return
				}
				t := time.Now()
				if _, err := conn.Write(reqs[i%len(reqs)]); err != nil {
					errs[w] = err
					return
				}
				body, err := readResponse(r)
				res.lat[i] = time.Since(t)
				if err != nil {
					errs[w] = fmt.Errorf("%s: %w", paths[i%len(paths)], err)
					return
				}
				n += body
			}
		}()
	}
	wg.Wait()
	res.wall = time.Since(start)
	res.bytes = received.Load()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return res, ctx.Err()
}

var (
	headerContentLength    = []byte("content-length:")
	headerTransferEncoding = []byte("transfer-encoding:")
)

// readResponse reads one response, which must be 200 with a non-empty body, and returns the
// body's length.
func readResponse(r *bufio.Reader) (int64, error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	if !bytes.Equal(line[9:12], []byte("200")) {
		return 0, fmt.Errorf("status %s", bytes.TrimSpace(line[9:]))
	}
	length, chunked := int64(-1), false
	for {
		line, err = r.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		h := bytes.TrimRight(line, "\r\n")
		if len(h) == 0 {
			break
		}
		if len(h) > len(headerContentLength) && bytes.EqualFold(h[:len(headerContentLength)], headerContentLength) {
			length, err = strconv.ParseInt(string(bytes.TrimSpace(h[len(headerContentLength):])), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("bad Content-Length %q", h)
			}
		}
		if len(h) > len(headerTransferEncoding) && bytes.EqualFold(h[:len(headerTransferEncoding)], headerTransferEncoding) {
			chunked = bytes.Contains(bytes.ToLower(h), []byte("chunked"))
		}
	}
	if !chunked {
		if length <= 0 {
			return 0, errors.New("no body")
		}
		_, err := r.Discard(int(length))
		return length, err
	}
	var n int64
	for {
		line, err = r.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		size, err := strconv.ParseInt(string(bytes.TrimSpace(bytes.SplitN(line, []byte(";"), 2)[0])), 16, 64)
		if err != nil {
			return 0, fmt.Errorf("bad chunk size %q", line)
		}
		if size == 0 {
			for { // trailers, then the final CRLF
				line, err = r.ReadSlice('\n')
				if err != nil {
					return 0, err
				}
				if len(bytes.TrimRight(line, "\r\n")) == 0 {
					break
				}
			}
			if n == 0 {
				return 0, errors.New("no body")
			}
			return n, nil
		}
		if _, err := r.Discard(int(size) + 2); err != nil {
			return 0, err
		}
		n += size
	}
}
