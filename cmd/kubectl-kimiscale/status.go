package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/kimiclaw/kimiscale/core"
)

// exitScale is status's exit code when the decision is to scale, so
// scripts and alerts can act on it.
const exitScale = 3

func newStatusCmd(o *Options) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "status [DEPLOYMENT | deploy/NAME]",
		Short: "Print one scaling decision without a terminal (exit code 3 when it says to scale)",
		Long: `Read the metrics and the cluster once, decide, and print the decision: action, current and
target replicas, every reason, the metrics, the forecast, the cooldown and DuckDB's settings.
Exit code 0 when there is nothing to do, 3 when the decision is to scale, 1 on error.`,
		Example: `  kubectl kimiscale status -o json
  kubectl kimiscale status deploy/kimiclaw-db -n db --prometheus-url http://127.0.0.1:9090 -o table
  kubectl kimiscale status --demo -o yaml`,
		Args:              deploymentArgs,
		ValidArgsFunction: o.completeDeployments,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Complete(cmd, args); err != nil {
				return err
			}
			if output != "json" && output != "yaml" && output != "table" {
				return fmt.Errorf("-o %q: valid is json, yaml or table", output)
			}
			if err := o.Validate(cmd); err != nil {
				return err
			}
			st, p, err := o.status(cmd.Context())
			if err != nil {
				return err
			}
			if err := writeStatus(o.streams.Out, st, p, output); err != nil {
				return err
			}
			if st.Action == core.ActionScaleUp || st.Action == core.ActionScaleDown {
				return &exitError{code: exitScale, err: errSilent}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: json, yaml or table")
	cmd.Flags().BoolVar(&o.Demo, "demo", false, "decide on the embedded demo cluster")
	return cmd
}

// errSilent is an error that only carries an exit code.
var errSilent = errors.New("")

// status reads everything once and decides; it returns the decision and the
// policy it applied.
func (o *Options) status(ctx context.Context) (core.Status, core.Policy, error) {
	logger, closeLog, err := o.logger()
	if err != nil {
		return core.Status{}, core.Policy{}, err
	}
	defer closeLog()
	src, err := o.buildSources(ctx, logger)
	if err != nil {
		return core.Status{}, core.Policy{}, err
	}
	if src.notice != "" {
		fmt.Fprintln(o.streams.ErrOut, "note: "+src.notice)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := src.start(ctx); err != nil {
		return core.Status{}, core.Policy{}, err
	}
	deps := src.deps
	state, err := src.state(ctx)
	if err != nil {
		return core.Status{}, core.Policy{}, err
	}
	for _, w := range state.Warnings {
		fmt.Fprintln(o.streams.ErrOut, "warning: "+w)
	}
	now := deps.Clock.Now()
	hist := core.NewHistory(int(deps.Backfill/deps.Interval) + 16)
	// A partial backfill still feeds the forecast; what is missing shows as
	// a forecast that cannot run, not as an error.
	if back, err := deps.Metrics.Backfill(ctx, now.Add(-deps.Backfill), now, deps.Interval); back != nil {
		if err != nil {
			fmt.Fprintln(o.streams.ErrOut, "note: backfill: "+err.Error())
		}
		for m, samples := range back {
			for _, s := range samples {
				hist.Series(m).Push(s)
			}
		}
	}
	snap, err := deps.Metrics.Poll(ctx)
	if err != nil {
		return core.Status{}, core.Policy{}, fmt.Errorf("read metrics: %w", err)
	}
	hist.Add(snap)
	d := core.Decide(core.Input{
		Policy: deps.Policy, Current: state.Replicas, Ready: state.ReadyReplicas, Snapshot: snap,
		History: hist, LastScale: state.LastScale, PollInterval: deps.Interval,
		Warnings: state.Warnings,
	}, now)
	var rec *core.DuckDBSettings
	if r, err := core.RecommendDuckDB(deps.Policy, state.Limits); err == nil {
		rec = &r.Settings
	}
	st := core.NewStatus(d, state.DuckDB, rec)
	// The contract lists all four metrics; one the source cannot provide
	// (metrics.k8s.io has no QPS or connections) is there, unusable, with why.
	for _, m := range core.Metrics() {
		if _, ok := st.Metrics[m]; !ok {
			why := "no rule in the policy"
			if r, ok := snap.Readings[m]; ok && r.State != core.ReadingOK {
				why = r.State.String()
				if r.Detail != "" {
					why += ": " + r.Detail
				}
			}
			st.Metrics[m] = core.StatusMetric{Why: why}
		}
	}
	return st, deps.Policy, nil
}

// writeStatus prints st, decided under policy p, as json, yaml or a table.
func writeStatus(w io.Writer, st core.Status, p core.Policy, output string) error {
	switch output {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	case "yaml":
		b, err := yaml.Marshal(st)
		if err != nil {
			return fmt.Errorf("render yaml: %w", err)
		}
		_, err = w.Write(b)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "ACTION\t%s\n", st.Action)
	fmt.Fprintf(tw, "REPLICAS\t%d -> %d\n", st.Current, st.Target)
	for _, r := range st.Reasons {
		fmt.Fprintf(tw, "REASON\t%s: %s\n", r.Code, r.Message)
	}
	for _, m := range core.Metrics() {
		ms, ok := st.Metrics[m]
		switch {
		case !ok:
		case !ms.Fresh:
			fmt.Fprintf(tw, "METRIC %s\tunusable: %s\n", m, ms.Why)
		case m.Utilization():
			fmt.Fprintf(tw, "METRIC %s\t%.1f%% (up > %.0f%%, down < %.0f%%)\n", m, ms.Value*100, ms.Up*100, ms.Down*100)
		default:
			unit := metricUnit(p, m)
			fmt.Fprintf(tw, "METRIC %s\t%.0f %s (up > %.0f, down < %.0f)\n", m, ms.Value, unit, ms.Up, ms.Down)
		}
	}
	if f := st.Forecast; f != nil {
		fmt.Fprintf(tw, "FORECAST\tCPU %.1f%% in %.0fs (%s)\n", f.CPU*100, f.HorizonSeconds, f.Model)
	}
	if st.Cooldown.Blocks != core.BlocksNone {
		fmt.Fprintf(tw, "COOLDOWN\tblocks %s for %ds\n", st.Cooldown.Blocks, st.Cooldown.RemainingSeconds)
	} else {
		fmt.Fprintf(tw, "COOLDOWN\tnone\n")
	}
	if d := st.DuckDB; d != nil {
		if d.Current != nil {
			fmt.Fprintf(tw, "DUCKDB\tmemory_limit %s, threads %d\n", d.Current.MemoryLimit, d.Current.Threads)
		}
		if d.Recommended != nil {
			fmt.Fprintf(tw, "DUCKDB RECOMMENDED\tmemory_limit %s, threads %d\n", d.Recommended.MemoryLimit, d.Recommended.Threads)
		}
	}
	return tw.Flush()
}

// metricUnit says what a QPS or connections value in the table is: per
// ready replica (core.Decide divides the Deployment's total by the ready
// replicas, as the HPA's AverageValue does) or the total, as the metric's
// rule in p aggregates it. The thresholds are in the same unit.
func metricUnit(p core.Policy, m core.Metric) string {
	what := string(m)
	switch m {
	case core.MetricQPS:
		what = "queries/s"
	case core.MetricConnections:
		what = "connections"
	}
	if r, ok := p.Rule(m); ok && r.Aggregation == core.Total {
		return what + " in total"
	}
	return what + " per ready replica"
}

func demoAuditPath() string {
	return filepath.Join(os.TempDir(), "kimiscale-demo-audit.log")
}
