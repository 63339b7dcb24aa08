package main

import (
	"io"
	"sync"
	"time"
)

// logWriter batches the server's log lines: a line reaches the underlying writer at most
// flushAfter after it was logged, together with the lines logged meanwhile, so that a busy server
// does not spend a system call per request on its access log. Flush writes what is pending (at
// exit).
type logWriter struct {
	mu    sync.Mutex
	w     io.Writer
	buf   []byte
	timer *time.Timer
}

const (
	flushAfter    = 50 * time.Millisecond
	flushAtLength = 64 << 10
)

func (l *logWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	if len(l.buf) >= flushAtLength {
		return len(p), l.flushLocked()
	}
	if l.timer == nil {
		l.timer = time.AfterFunc(flushAfter, func() { l.Flush() })
	}
	return len(p), nil
}

// Flush writes the pending lines.
func (l *logWriter) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.flushLocked()
}

func (l *logWriter) flushLocked() error {
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
	if len(l.buf) == 0 {
		return nil
	}
	_, err := l.w.Write(l.buf)
	l.buf = l.buf[:0]
	return err
}
