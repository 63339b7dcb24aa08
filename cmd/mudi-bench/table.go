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
	for _, alone := range []bool{false, true} {
		b.printChecks(w, alone)
	}
	fmt.Fprintln(w, "Method:")
	for _, n := range b.notes {
		fmt.Fprintf(w, "- %s\n", n)
	}
}

// printChecks writes the checks against PostGIS, or (alone) those of mudi's answers alone.
func (b *bench) printChecks(w io.Writer, alone bool) {
	var checks []*check
	for _, c := range b.checks {
		if c.alone == alone {
			checks = append(checks, c)
		}
	}
	if len(checks) == 0 {
		return
	}
	if alone {
		fmt.Fprintln(w, "Checks of mudi's answers:")
	} else {
		fmt.Fprintln(w, "Agreement with PostGIS:")
	}
	for _, c := range checks {
		if c.compared == 0 && len(c.mismatches) == 0 {
			fmt.Fprintf(w, "- %s: %s.\n", c.name, c.note)
			continue
		}
		status := "agree"
		if c.alone {
			status = "as expected"
		}
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
	fmt.Fprintln(w)
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
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n < 1<<20:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
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
