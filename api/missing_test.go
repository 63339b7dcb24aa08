package api

import (
	"os"
	"testing"
)

// missingTool ends a test that needs a tool, an npm client or a build output that is missing:
// it fails when the environment variable CI is set (CI installs and builds everything the tests
// use, so a missing one is a broken CI) and skips, saying why, otherwise.
func missingTool(tb testing.TB, why string) {
	tb.Helper()
	if os.Getenv("CI") != "" {
		tb.Fatal(why + " (CI is set: failing instead of skipping)")
	}
	tb.Skip(why)
}
