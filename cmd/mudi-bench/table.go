package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// row is one line of the table; mudi and pg hold median, p99 and throughput.
type row struct {
	work        string
	mudi, pg    [3]string
	ratio, goal string
	met         string
}

// print writes the table, then the correctness checks and the notes on method.
func (b *bench) print(w io.Writer) {
	fmt.Fprintln(w, "| work | mudi median | mudi p99 | mudi throughput | PostGIS median | PostGIS p99 | PostGIS throughput | ratio | goal | met? |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---|---|")
	for _, r := range b.rows {
		cells := []string{r.work, r.mudi[0], r.mudi[1], r.mudi[2], r.pg[0], r.pg[1], r.pg[2], r.ratio, r.goal, r.met}
		for i, c := range cells {
			if c == "" {
				cells[i] = " "
			}
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
	fmt.Fprintln(w)
	if len(b.checks) > 0 {
		fmt.Fprintln(w, "Agreement with PostGIS:")
	}
	for _, c := range b.checks {
		status := "agree"
		if len(c.mismatches) > 0 {
			status = fmt.Sprintf("**%d MISMATCHES**", len(c.mismatches))
		}
		fmt.Fprintf(w, "- %s: %d %s compared, %s", c.name, c.compared, c.unit, status)
		if c.exempt > 0 && c.unit == "parcels" {
			fmt.Fprintf(w, " (%d parcels differ only within the documented tolerance)", c.exempt)
		}
		if c.note != "" {
			fmt.Fprintf(w, "; %s", c.note)
		}
		fmt.Fprintln(w, ".")
		for i, m := range c.mismatches {
			if i == 20 {
				fmt.Fprintf(w, "  - … and %d more\n", len(c.mismatches)-20)
				break
			}
			fmt.Fprintf(w, "  - %s\n", m)
		}
	}
	if len(b.checks) > 0 {
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "Method:")
	for _, n := range b.notes {
		fmt.Fprintf(w, "- %s\n", n)
	}
}

func fmtDur(d time.Duration) string {
	switch {
	case d == 0:
		return "0"
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	case d < time.Second:
		return fmt.Sprintf("%.0f ms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func fmtBytes(n int64) string {
	if n >= 1<<30 {
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	}
	return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
}

// rate is n per d.
func rate(n float64, d time.Duration, unit string) string {
	if d <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f %s", n/d.Seconds(), unit)
}

// ratio is how many times a is b (mudi's advantage when a is mudi's throughput or PostGIS's time).
func ratio(a, b float64) string {
	if b <= 0 {
		return "—"
	}
	r := a / b
	if r >= 10 {
		return fmt.Sprintf("%.0f×", r)
	}
	return fmt.Sprintf("%.1f×", r)
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}
