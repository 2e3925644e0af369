package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kimiclaw/kimiscale/config"
	"github.com/kimiclaw/kimiscale/core"
	"github.com/kimiclaw/kimiscale/core/backtest"
)

func newForecastEvalCmd(streams genericiooptions.IOStreams) *cobra.Command {
	var (
		trace      string
		policyPath string
		models     []string
		output     string
		opt        = backtest.DefaultOptions()
	)
	cmd := &cobra.Command{
		Use:   "forecast-eval --trace FILE.csv",
		Short: "Score each forecast model on a load trace (MAE, MAPE, MASE, 80% interval coverage)",
		Long: `Rolling-origin evaluation of each forecast model: forecast origins spread evenly over the
second half of the trace; at each, the model sees the history up to the origin (at most
--max-history) and forecasts --horizon ahead. MASE is the model's MAE divided by the MAE of the
naive "no change" forecast on the same origins: below 1.0 beats doing nothing.`,
		Example: `  kubectl kimiscale forecast-eval --trace testdata/traces/nasa_http_jul1995_1min.csv`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := refuseUnread(cmd, "scores forecasts on a trace offline"); err != nil {
				return err
			}
			if err := checkTraceFlags(trace, output); err != nil {
				return err
			}
			switch {
			case opt.Origins < 1:
				return badFlag("origins", opt.Origins, validOrigins)
			case opt.Horizon <= 0:
				return badFlag("horizon", opt.Horizon, validHorizon)
			case opt.MaxHistory <= 0:
				return badFlag("max-history", opt.MaxHistory, validMaxHistory)
			}
			if cmd.Flags().Changed("models") {
				if err := checkNames("models", models, core.ModelNames()); err != nil {
					return err
				}
			}
			fp := core.DefaultPolicy().Forecast
			if policyPath != "" {
				p, err := config.LoadPolicy(policyPath)
				if err != nil {
					return err
				}
				fp = p.Forecast
			}
			series, err := readTraceFile(trace)
			if err != nil {
				return err
			}
			// Each origin needs a sample exactly --horizon later.
			if len(series) > 1 {
				if step := series[1].At.Sub(series[0].At); step > 0 && opt.Horizon%step != 0 {
					return badFlag("horizon", opt.Horizon, fmt.Sprintf("a multiple of the trace's interval %s, e.g. %s", step, 5*step))
				}
			}
			fs := backtest.Models(fp.Points, fp.Season.D())
			if len(models) > 0 {
				fs = fs[:0]
				for _, name := range models {
					fp.Model = name
					f, err := core.NewForecaster(fp)
					if err != nil {
						return fmt.Errorf("--models: %w", err)
					}
					fs = append(fs, f)
				}
			}
			results, err := backtest.Evaluate(series, fs, opt)
			if err != nil {
				// What the trace cannot give (more --origins than it has
				// samples, too little history) is core's to find; name the
				// flags that ask for it.
				return fmt.Errorf("evaluate %s with --origins %d, --horizon %s, --max-history %s: %w", trace, opt.Origins, opt.Horizon, opt.MaxHistory, err)
			}
			if output == "json" {
				enc := json.NewEncoder(streams.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"trace": trace, "horizon_seconds": opt.Horizon.Seconds(), "origins": opt.Origins, "models": results})
			}
			tw := tabwriter.NewWriter(streams.Out, 0, 0, 2, ' ', 0)
			fmt.Fprintf(tw, "MODEL\tMAE\tMAPE\tMASE\tCOVERAGE(80%%)\tCHOSEN\n")
			for _, r := range results {
				fmt.Fprintf(tw, "%s\t%.4g\t%.1f%%\t%.3f\t%.1f%%\t%s\n", r.Model, r.MAE, r.MAPE, r.MASE, r.Coverage*100, chosen(r.Chosen, r.Model))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&trace, "trace", "", "CSV trace: timestamp,value (RFC 3339, Unix seconds, or seconds from trace start)")
	cmd.Flags().StringSliceVar(&models, "models", nil, "models to score (default: every model, and the seed's regression both from the last sample and from the fitted line): "+strings.Join(core.ModelNames(), ", "))
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	cmd.Flags().StringVar(&policyPath, "policy", "", "policy file (YAML) whose forecast points and season the models use; default: the seed policy")
	cmd.Flags().IntVar(&opt.Origins, "origins", opt.Origins, "forecast origins over the second half of the trace")
	setValid(cmd.Flags(), "origins", validOrigins)
	cmd.Flags().DurationVar(&opt.Horizon, "horizon", opt.Horizon, "how far ahead each forecast looks")
	setValid(cmd.Flags(), "horizon", validHorizon)
	cmd.Flags().DurationVar(&opt.MaxHistory, "max-history", opt.MaxHistory, "most history a model sees at each origin")
	setValid(cmd.Flags(), "max-history", validMaxHistory)
	return cmd
}

const (
	validOrigins    = "1 or more"
	validHorizon    = "a positive duration such as 5m (a multiple of the trace's interval)"
	validMaxHistory = "a positive duration such as 168h"
)

// readTraceFile reads a timestamp,value CSV trace.
func readTraceFile(path string) ([]core.Sample, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--trace: %w", err)
	}
	defer f.Close()
	s, err := backtest.ReadTrace(f)
	if err != nil {
		return nil, fmt.Errorf("trace %s: %w", path, err)
	}
	return s, nil
}

// chosen lists what a model reported when it differs from its name (which
// model auto picked, or a fallback), most frequent first.
func chosen(m map[string]int, name string) string {
	type kv struct {
		k string
		v int
	}
	var list []kv
	for k, v := range m {
		if k != name {
			list = append(list, kv{k, v})
		}
	}
	slices.SortFunc(list, func(a, b kv) int { return b.v - a.v })
	parts := make([]string, 0, len(list))
	for _, e := range list {
		parts = append(parts, fmt.Sprintf("%s×%d", e.k, e.v))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}

// checkTraceFlags validates the flags simulate and forecast-eval share.
func checkTraceFlags(trace, output string) error {
	if trace == "" {
		return fmt.Errorf("--trace is required: a CSV file with a timestamp,value header")
	}
	if output != "table" && output != "json" {
		return fmt.Errorf("-o %q: valid is table or json", output)
	}
	return nil
}
