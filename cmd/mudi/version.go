package main

import (
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// runVersion prints mudi's version: the module version ("(devel)" for a build from a source
// tree), the Go version, and the version-control revision and time the build recorded (go build
// records them when it builds inside a Git checkout, unless -buildvcs=false).
func runVersion(args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return usageError{"usage: mudi version (no arguments)"}
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		_, err := fmt.Fprintln(stdout, "mudi (no build information)")
		return err
	}
	_, err := io.WriteString(stdout, versionText(bi))
	return err
}

// versionText formats build information: "mudi VERSION" then one indented line each for go,
// revision (with "(modified)" when the tree had uncommitted changes) and time, when known.
func versionText(bi *debug.BuildInfo) string {
	var b strings.Builder
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	fmt.Fprintf(&b, "mudi %s\n", v)
	fmt.Fprintf(&b, "  go        %s\n", bi.GoVersion)
	s := map[string]string{}
	for _, kv := range bi.Settings {
		s[kv.Key] = kv.Value
	}
	if rev := s["vcs.revision"]; rev != "" {
		if s["vcs.modified"] == "true" {
			rev += " (modified)"
		}
		fmt.Fprintf(&b, "  revision  %s\n", rev)
	}
	if t := s["vcs.time"]; t != "" {
		fmt.Fprintf(&b, "  time      %s\n", t)
	}
	return b.String()
}
