package backtest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kimiclaw/kimiscale/core"
)

// table renders results as the report's table.
func table(rs []Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-22s %12s %8s %7s %8s  %s\n", "model", "MAE", "MAPE%", "MASE", "cover80", "chosen")
	for _, r := range rs {
		fmt.Fprintf(&b, "%-22s %12.4g %8.2f %7.3f %8.3f  %v\n", r.Model, r.MAE, r.MAPE, r.MASE, r.Coverage, r.Chosen)
	}
	return b.String()
}

func TestForecastTargets(t *testing.T) {
	if testing.Short() {
		t.Skip("evaluates every model at 300 origins on two 30-day traces (several seconds); run without -short")
	}
	models := []core.Forecaster{
		core.Linear{Points: 10},
		core.Holt{},
		core.Holt{Damped: true},
		core.HoltWinters{},
		core.HoltWinters{Damped: true},
	}
	tests := []struct {
		file string
		want float64 // best MASE at most
	}{
		{"nasa_http_jul1995_1min.csv", 0.80},
		{"azure2019_vm_cpu_total_5min.csv", 0.70},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			rs, err := Evaluate(readTraceFile(t, tc.file), models, DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s (300 origins, 5m ahead, ≤ 7 days history; MAPE skips zero actuals)\n%s", tc.file, table(rs))
			best := rs[0]
			for _, r := range rs {
				if r.MASE < best.MASE {
					best = r
				}
			}
			if best.MASE > tc.want {
				t.Errorf("best MASE = %.3f (%s), want ≤ %.2f", best.MASE, best.Model, tc.want)
			}
		})
	}
}
