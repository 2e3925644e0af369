package main

import (
	"encoding/json"
	"fmt"
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
			if err := checkTraceFlags(trace, output); err != nil {
				return err
			}
			known := map[string]bool{}
			for _, n := range sim.PolicyNames() {
				known[n] = true
			}
			for _, n := range opts.Compare {
				if !known[n] {
					return fmt.Errorf("--compare %q: unknown policy; valid: %s", n, strings.Join(sim.PolicyNames(), ", "))
				}
			}
			var err error
			if opts.From, err = parseTimeFlag("--from", from); err != nil {
				return err
			}
			if opts.To, err = parseTimeFlag("--to", to); err != nil {
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
			rep, err := sim.Run(series, opts)
			if err != nil {
				return fmt.Errorf("simulate %s: %w", trace, err)
			}
			if output == "json" {
				if !timeline {
					for i := range rep.Policies {
						rep.Policies[i].Timeline = nil
					}
				}
				enc := json.NewEncoder(streams.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			return rep.WriteTable(streams.Out)
		},
	}
	f := cmd.Flags()
	f.StringVar(&trace, "trace", "", "CSV trace: timestamp,value (RFC 3339, Unix seconds, or seconds from trace start); value = total demand")
	f.StringVar(&policyPath, "policy", "", "policy file (YAML); default: the seed policy")
	f.StringSliceVar(&opts.Compare, "compare", sim.PolicyNames(), "policies to compare: "+strings.Join(sim.PolicyNames(), ", "))
	f.Float64Var(&opts.Capacity, "capacity", 0, "demand one replica serves at 100% CPU (default: peak / (max replicas × CPU up-threshold))")
	f.DurationVar(&opts.Startup, "startup", sim.DefaultStartup, "how long a new replica takes to become ready")
	f.StringVar(&from, "from", "", "start of the window to replay (RFC 3339)")
	f.StringVar(&to, "to", "", "end of the window to replay (RFC 3339)")
	f.StringVarP(&output, "output", "o", "table", "output format: table or json")
	f.BoolVar(&timeline, "timeline", true, "with -o json: include the per-step timeline")
	return cmd
}

func parseTimeFlag(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q: want an RFC 3339 time such as 1995-07-13T00:00:00Z", name, v)
	}
	return t, nil
}
