package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// scalingGoal is the most a work may grow per times the parcels: about linearly (12× the time
// for 10× the parcels).
const scalingGoal = 1.2

// scalingRow is one work measured at two sizes.
type scalingRow struct {
	work         string
	small, large float64 // mudi's median, seconds
}

// printScaling reads two tables written by -out (a run at n parcels, then one at 10n) and
// prints how much each work's median grew: every work should take at most 12× the time for 10×
// the parcels.
func printScaling(w io.Writer, smallFile, largeFile string) error {
	small, err := readTable(smallFile)
	if err != nil {
		return err
	}
	large, err := readTable(largeFile)
	if err != nil {
		return err
	}
	var rows []scalingRow
	for _, r := range small.order {
		if l, ok := large.median[r]; ok {
			rows = append(rows, scalingRow{work: r, small: small.median[r], large: l})
		}
	}
	if len(rows) == 0 {
		return fmt.Errorf("%s and %s have no work in common", smallFile, largeFile)
	}
	factor := float64(large.n) / float64(small.n)
	fmt.Fprintf(w, "| work | mudi median, %d parcels | mudi median, %d parcels | growth | goal | met? |\n", small.n, large.n)
	fmt.Fprintln(w, "|---|---:|---:|---:|---|---|")
	for _, r := range rows {
		growth := r.large / r.small
		fmt.Fprintf(w, "| %s | %s | %s | %.1f× | ≤ %.0f× for %.0f× the parcels | %s |\n", r.work,
			fmtDur(time.Duration(r.small*1e9)), fmtDur(time.Duration(r.large*1e9)),
			growth, scalingGoal*factor, factor, yes(growth <= scalingGoal*factor))
	}
	return nil
}

// table is what printScaling reads of a table: the county's size and each work's median.
type table struct {
	n      int
	order  []string
	median map[string]float64
}

var (
	bigNumber = regexp.MustCompile(`\d{4,}`)
	parcelsN  = regexp.MustCompile(`(?:^|\b)(?:import|at) (\d{4,}) parcels|\((\d{4,}) parcels`)
)

// readTable reads the rows of a table written by -out. A work is named without its numbers of
// four digits or more (the county's size, tile counts) and without what follows " — " (timings
// of the parts), so that the same work matches at both sizes.
func readTable(file string) (*table, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t := &table{median: map[string]float64{}}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| work ") {
			continue
		}
		cols := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cols) < 2 {
			continue
		}
		if t.n == 0 {
			if m := parcelsN.FindStringSubmatch(cols[0]); m != nil {
				t.n, _ = strconv.Atoi(m[1] + m[2])
			}
		}
		secs, ok := parseSeconds(strings.TrimSpace(cols[1]))
		if !ok {
			continue
		}
		work, _, _ := strings.Cut(cols[0], " — ")
		work = bigNumber.ReplaceAllString(strings.TrimSpace(work), "N")
		if _, dup := t.median[work]; dup {
			continue
		}
		t.order = append(t.order, work)
		t.median[work] = secs
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if t.n == 0 {
		return nil, fmt.Errorf("%s: no row names the county's size (import N parcels)", file)
	}
	return t, nil
}

// parseSeconds reads a duration as fmtDur writes it ("2.66 s", "342 ms", "0.07 ms").
func parseSeconds(s string) (float64, bool) {
	num, unit, ok := strings.Cut(s, " ")
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, false
	}
	switch unit {
	case "s":
		return v, true
	case "ms":
		return v / 1e3, true
	}
	return 0, false
}
