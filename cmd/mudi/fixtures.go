package main

import (
	"io"

	"github.com/mudi-gis/mudi/fixtures"
)

// runFixtures runs "mudi fixtures …": args are the arguments after "fixtures", subcommand
// included ("generate -n 100000 --seed 1 -o DIR"), as fixtures.Run takes them.
func runFixtures(args []string, stdout, stderr io.Writer) error {
	if err := fixtures.Run(args, stdout); err != nil {
		return usageError{err.Error()}
	}
	return nil
}
