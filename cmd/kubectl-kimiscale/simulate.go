package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kimiclaw/kimiscale/config"
	"github.com/kimiclaw/kimiscale/core"
	"github.com/kimiclaw/kimiscale/core/sim"
)

func newSimulateCmd(streams genericiooptions.IOStreams) *cobra.Command {
	var (
		trace, policyPath, output, from, to string
		timeline                            bool
		opts                                sim.Options
	)
	cmd := &cobra.Command{
		Use:   "simulate --trace FILE.csv",
		Short: "Replay a load trace through the scaling policies side by side",
		Long: `Replay a real load trace through simulated kimiclaw-db replicas under each policy and report
SLO violations against cost: violation minutes (utilization above 100%), minutes above the
scale-up threshold, replica-minutes, scale events and flaps (reversals within 10 minutes).

Policies: seed (the seed's rules, linear forecast and cooldown), hpa (the Kubernetes HPA
algorithm with the seed's behaviour), predictive (kimiscale's forecaster, scaling ahead of
the startup delay) and oracle (knows the future: the cheapest policy without violations).`,
		Example: `  kubectl kimiscale simulate --trace testdata/traces/nasa_http_jul1995_1min.csv --compare seed,hpa,predictive,oracle
  kubectl kimiscale simulate --trace trace.csv --from 1995-07-13T00:00:00Z --to 1995-07-14T00:00:00Z -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := refuseUnread(cmd, "replays a trace offline"); err != nil {
				return err
			}
			if err := checkTraceFlags(trace, output); err != nil {
				return err
			}
			if timeline && output != "json" {
				return fmt.Errorf("--timeline works only with -o json: the %s output has no timeline", output)
			}
			if err := checkNames("compare", opts.Compare, sim.PolicyNames()); err != nil {
				return err
			}
			if math.IsNaN(opts.Capacity) || math.IsInf(opts.Capacity, 0) || opts.Capacity < 0 {
				return badFlag("capacity", opts.Capacity, validCapacity)
			}
			if opts.Startup <= 0 {
				return badFlag("startup", opts.Startup, validStartup)
			}
			var err error
			if opts.From, err = parseTimeFlag("from", from); err != nil {
				return err
			}
			if opts.To, err = parseTimeFlag("to", to); err != nil {
				return err
			}
			opts.Policy = core.DefaultPolicy()
			if policyPath != "" {
				if opts.Policy, err = config.LoadPolicy(policyPath); err != nil {
					return err
				}
			}
			series, err := readTraceFile(trace)
			if err != nil {
				return err
			}
			if err := checkWindow(series, opts.From, opts.To); err != nil {
				return err
			}
			opts.Timeline = timeline
			rep, err := sim.Run(series, opts)
			if err != nil {
				return fmt.Errorf("simulate %s: %w", trace, err)
			}
			if output == "json" {
				return writeReportJSON(streams.Out, rep)
			}
			return rep.WriteTable(streams.Out)
		},
	}
	f := cmd.Flags()
	f.StringVar(&trace, "trace", "", "CSV trace: timestamp,value (RFC 3339, Unix seconds, or seconds from trace start); value = total demand")
	f.StringVar(&policyPath, "policy", "", "policy file (YAML); default: the seed policy")
	f.StringSliceVar(&opts.Compare, "compare", sim.PolicyNames(), "policies to compare: "+strings.Join(sim.PolicyNames(), ", "))
	f.Float64Var(&opts.Capacity, "capacity", 0, "demand one replica serves at 100% CPU (default: peak / (max replicas × CPU up-threshold))")
	setValid(f, "capacity", validCapacity)
	f.DurationVar(&opts.Startup, "startup", sim.DefaultStartup, "how long a new replica takes to become ready")
	setValid(f, "startup", validStartup)
	f.StringVar(&from, "from", "", "start of the window to replay (RFC 3339; default: the trace's start)")
	f.StringVar(&to, "to", "", "end of the window to replay (RFC 3339; default: the trace's end)")
	f.StringVarP(&output, "output", "o", "table", "output format: table or json")
	f.BoolVar(&timeline, "timeline", false, "with -o json: include each policy's per-step timeline (a point per policy per 15 s: about 110 MB for a month)")
	return cmd
}

// writeReportJSON writes rep as indented JSON, byte for byte what
// json.Encoder with SetIndent("", "  ") writes, but a timeline point at a
// time: encoding/json builds the whole document in memory before writing
// it, and a month's timelines of four policies are about 110 MB of JSON,
// which took the run from 120 to 520 MB of RSS.
func writeReportJSON(w io.Writer, rep sim.Report) error {
	bw := bufio.NewWriter(w)
	policies := rep.Policies
	rep.Policies = nil
	head, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	head, ok := bytes.CutSuffix(head, []byte("null\n}"))
	if !ok || policies == nil {
		// No policies (or a Report whose JSON ends otherwise): nothing large to stream.
		rep.Policies = policies
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return fmt.Errorf("render report: %w", err)
		}
		_, err = w.Write(append(b, '\n'))
		return err
	}
	bw.Write(head)
	bw.WriteString("[")
	var buf bytes.Buffer
	point := json.NewEncoder(&buf)
	point.SetIndent("        ", "  ")
	for i, p := range policies {
		if i > 0 {
			bw.WriteString(",")
		}
		timeline := p.Timeline
		p.Timeline = nil
		b, err := json.MarshalIndent(p, "    ", "  ")
		if err != nil {
			return fmt.Errorf("render report: %w", err)
		}
		b, ok := bytes.CutSuffix(b, []byte("null\n    }"))
		if !ok {
			return fmt.Errorf("render report: policy %s: unexpected JSON ending", p.Name)
		}
		bw.WriteString("\n    ")
		bw.Write(b)
		if timeline == nil {
			bw.WriteString("null")
		} else {
			bw.WriteString("[")
			for j := range timeline {
				if j > 0 {
					bw.WriteString(",")
				}
				buf.Reset()
				if err := point.Encode(timeline[j]); err != nil {
					return fmt.Errorf("render report: %w", err)
				}
				bw.WriteString("\n        ")
				bw.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
			}
			if len(timeline) > 0 {
				bw.WriteString("\n      ")
			}
			bw.WriteString("]")
		}
		bw.WriteString("\n    }")
	}
	if len(policies) > 0 {
		bw.WriteString("\n  ")
	}
	bw.WriteString("]\n}\n")
	return bw.Flush()
}

const (
	validCapacity = "0 (the default: peak / (max replicas × CPU up-threshold)) or a positive number of demand units per replica"
	validStartup  = "a positive duration such as 1m"
	validTime     = "an RFC 3339 time such as 1995-07-13T00:00:00Z"
)

// parseTimeFlag parses the RFC 3339 value v of --name; empty is the zero time.
func parseTimeFlag(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("--%s %q: valid is %s", name, v, validTime)
	}
	return t, nil
}

// checkWindow checks --from and --to (zero when not given) against the
// trace, which ends one interval after its last sample, as sim.Run counts
// it; the window must hold at least one step.
func checkWindow(series []core.Sample, from, to time.Time) error {
	if len(series) == 0 {
		return nil // sim.Run says the trace is empty
	}
	last := sim.DefaultStep
	if n := len(series); n > 1 {
		last = series[n-1].At.Sub(series[n-2].At)
	}
	start, end := series[0].At, series[len(series)-1].At.Add(last)
	rfc := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	if !from.IsZero() && (from.Before(start) || !from.Before(end)) {
		return fmt.Errorf("--from %s: valid is a time in the trace, from %s to before %s", rfc(from), rfc(start), rfc(end))
	}
	if to.IsZero() {
		return nil
	}
	after, what := start, "the trace's start "+rfc(start)
	if !from.IsZero() {
		after, what = from, "--from "+rfc(from)
	}
	if !to.After(after) || to.After(end) {
		return fmt.Errorf("--to %s: valid is a time after %s, up to the trace's end %s", rfc(to), what, rfc(end))
	}
	return nil
}

// checkNames checks a list flag's values against the valid names: an
// explicitly empty list (--compare=""), an unknown name or a name given
// twice is an error naming the valid ones. An empty list must not fall
// through to the callee, which reads it as "all".
func checkNames(flag string, names, valid []string) error {
	list := strings.Join(valid, ", ")
	if len(names) == 0 {
		return fmt.Errorf("--%s is empty: valid is one or more of %s, comma-separated", flag, list)
	}
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		switch {
		case !slices.Contains(valid, n):
			return fmt.Errorf("--%s %q: unknown; valid is one or more of %s, comma-separated", flag, n, list)
		case seen[n]:
			return fmt.Errorf("--%s %q: given twice; valid is each of %s at most once", flag, n, list)
		}
		seen[n] = true
	}
	return nil
}
