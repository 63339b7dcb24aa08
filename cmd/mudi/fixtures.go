package main

import (
	"fmt"
	"io"

	"github.com/mudi-gis/mudi/fixtures"
)

func runFixtures(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "generate" {
		fmt.Fprintln(stderr, "usage: mudi fixtures generate -n 100000 --seed 1 -o DIR")
		return usageError{}
	}
	if err := fixtures.Run(args[1:], stdout); err != nil {
		return usageError{err.Error()}
	}
	return nil
}
