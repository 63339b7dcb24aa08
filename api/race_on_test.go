//go:build race

package api

// raceEnabled is true when the tests run under the race detector, which makes rendering and
// JSON decoding many times slower; a few heavy tests then do a smaller part of their work.
const raceEnabled = true
