package sim

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"
)

// WriteTable writes the report as a table for humans: policies ranked by
// violation minutes, then by replica-minutes (fewer is better), each with
// its violations and cost relative to hpa when hpa is in the report.
func (r Report) WriteTable(w io.Writer) error {
	ranked := slices.Clone(r.Policies)
	slices.SortStableFunc(ranked, func(a, b PolicyResult) int {
		if c := cmp.Compare(a.ViolationMinutes, b.ViolationMinutes); c != 0 {
			return c
		}
		return cmp.Compare(a.ReplicaMinutes, b.ReplicaMinutes)
	})
	hpa, haveHPA := r.Result(PolicyHPA)

	if _, err := fmt.Fprintf(w, "window %s .. %s (%s), decisions every %s, startup %s, capacity %.4g per replica, CPU threshold %.0f%%\n\n",
		r.From.UTC().Format(time.RFC3339), r.To.UTC().Format(time.RFC3339), span(r.To.Sub(r.From)),
		secs(r.StepSeconds), secs(r.StartupSeconds), r.Capacity, r.Threshold*100); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "rank\tpolicy\tviolation min\tviol. vs hpa\tmin > %.0f%%\treplica-min\tcost vs hpa\tscale events\tflaps\treplicas\t\n", r.Threshold*100)
	for i, p := range ranked {
		dv, cost := "-", "-"
		if haveHPA {
			dv = fmt.Sprintf("%+.2f", p.ViolationMinutes-hpa.ViolationMinutes)
			if hpa.ReplicaMinutes > 0 {
				cost = fmt.Sprintf("%.3fx", p.ReplicaMinutes/hpa.ReplicaMinutes)
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%.2f\t%s\t%.2f\t%.1f\t%s\t%d\t%d\t%d..%d\t\n",
			i+1, p.Name, p.ViolationMinutes, dv, p.MinutesAboveThreshold, p.ReplicaMinutes, cost,
			p.ScaleEvents, p.Flaps, p.MinReplicas, p.MaxReplicas)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

// span writes a window's length in days, hours and minutes: "27d 13h 32m".
func span(d time.Duration) string {
	d = d.Round(time.Minute)
	days, rest := d/(24*time.Hour), d%(24*time.Hour)
	s := fmt.Sprintf("%dh %dm", rest/time.Hour, rest%time.Hour/time.Minute)
	if days > 0 {
		s = fmt.Sprintf("%dd ", days) + s
	}
	return s
}

func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
