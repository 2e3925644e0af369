package ui

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/NimbleMarkets/ntcharts/v2/canvas"
	"github.com/NimbleMarkets/ntcharts/v2/canvas/graph"
	tslc "github.com/NimbleMarkets/ntcharts/v2/linechart/timeserieslinechart"
	"github.com/charmbracelet/x/ansi"
	"github.com/google/go-cmp/cmp"

	"github.com/kimiclaw/kimiscale/core"
)

func TestNiceCeil(t *testing.T) {
	tests := []struct{ in, want float64 }{
		{0.77, 0.8}, {1.1, 1.2}, {1.25, 1.5}, {0.99, 1}, {1, 1}, {8800, 10000}, {5500, 6000}, {13, 15},
	}
	for _, tc := range tests {
		if got := niceCeil(tc.in); got != tc.want {
			t.Errorf("niceCeil(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestDownsample(t *testing.T) {
	from := t0
	var s []core.Sample
	for i := range 8 {
		s = append(s, core.Sample{At: from.Add(time.Duration(i) * 15 * time.Second), Value: float64(i)})
	}
	// 2 minutes into 4 buckets of 30 s: two samples each.
	got := downsample(nil, s, from, 2*time.Minute, 4)
	want := []tslc.TimePoint{
		{Time: from.Add(15 * time.Second), Value: 0.5},
		{Time: from.Add(45 * time.Second), Value: 2.5},
		{Time: from.Add(75 * time.Second), Value: 4.5},
		{Time: from.Add(105 * time.Second), Value: 6.5},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("downsample (-want +got):\n%s", d)
	}
	if got := downsample(nil, s, from.Add(time.Hour), time.Minute, 4); len(got) != 0 {
		t.Errorf("samples outside the window were drawn: %v", got)
	}
}

func TestInterpolate(t *testing.T) {
	path := []core.ForecastPoint{{At: t0, Value: 1, Lower: 0, Upper: 2}, {At: t0.Add(time.Minute), Value: 3, Lower: 2, Upper: 4}}
	tests := []struct {
		at   time.Time
		want core.ForecastPoint
	}{
		{t0.Add(-time.Second), path[0]},
		{t0.Add(30 * time.Second), core.ForecastPoint{At: t0.Add(30 * time.Second), Value: 2, Lower: 1, Upper: 3}},
		{t0.Add(time.Hour), path[1]},
	}
	for _, tc := range tests {
		if got := interpolate(path, tc.at); got != tc.want {
			t.Errorf("interpolate(%s) = %+v, want %+v", tc.at, got, tc.want)
		}
	}
}

func TestMMSS(t *testing.T) {
	tests := map[time.Duration]string{0: "00:00", -time.Second: "00:00", 7*time.Minute + 12*time.Second: "07:12",
		90*time.Minute + 5*time.Second: "1:30:05", 1499 * time.Millisecond: "00:01"}
	for in, want := range tests {
		if got := mmss(in); got != want {
			t.Errorf("mmss(%s) = %q, want %q", in, got, want)
		}
	}
}

func TestShortDuration(t *testing.T) {
	tests := map[time.Duration]string{5 * time.Minute: "5m", time.Hour: "1h", 24 * time.Hour: "24h", 90 * time.Second: "1m30s"}
	for in, want := range tests {
		if got := shortDuration(in); got != want {
			t.Errorf("shortDuration(%s) = %q, want %q", in, got, want)
		}
	}
}

// TestChartKeepsNoPoints checks the point of the design: however long the
// dashboard runs, a chart holds only the visible window, downsampled.
func TestChartKeepsNoPoints(t *testing.T) {
	st := DefaultStyles()
	c := newChart("CPU", metricFormat(core.MetricCPU), &st, time.UTC)
	c.SetSize(120, 14)
	var s []core.Sample
	for i := range 5760 {
		s = append(s, core.Sample{At: t0.Add(time.Duration(i) * 15 * time.Second), Value: 0.5})
	}
	now := s[len(s)-1].At
	c.SetData(chartData{Now: now, Window: 24 * time.Hour, Samples: s, Up: 0.7, Down: 0.3})
	c.Redraw()
	if n, max := len(c.points), 2*c.ts.GraphWidth(); n > max || n == 0 {
		t.Fatalf("chart pushed %d points for 5760 samples, want at most 2 per column (%d)", n, max)
	}
	v := c.View()
	c.Redraw() // not dirty: nothing recomputed
	if c.View() != v {
		t.Errorf("a redraw without new data changed the view")
	}
}

// The chart writes a style's two halves around each run of cells rather
// than rendering each run: the output must be what Render writes.
func TestWrapOfMatchesRender(t *testing.T) {
	st := DefaultStyles()
	styles := map[string]lipgloss.Style{
		"axis": st.Axis, "series": st.Series, "up": st.Up, "down": st.Down,
		"forecast": st.Forecast, "band": st.Band, "now": st.Now, "none": lipgloss.NewStyle(),
		"title": st.Title, "bold": st.Bold, "warn": st.Warn,
	}
	runs := []string{"⣿", "⠁⡀⣿⢸", "12:00 13:00", "╌╌╌╌", " 70%", "┊", "", "CPU", "•forecast 57.2% holt-winters",
		"no data: query error (status 503)"}
	for name, s := range styles {
		w := wrapOf(s)
		for _, run := range runs {
			if got, want := w.wrap(run), s.Render(run); got != want {
				t.Errorf("%s: wrapOf(style).wrap(%q) = %q, want Render's %q", name, run, got, want)
			}
		}
	}
}

// The chart's dot grid draws what ntcharts' braille grid draws, for lines
// anywhere, partly or wholly outside the grid included.
func TestDotGridMatchesNtcharts(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var d dotGrid
	for _, size := range [][2]int{{1, 1}, {3, 2}, {40, 8}, {57, 11}} {
		w, h := size[0], size[1]
		for range 50 {
			want := graph.NewBrailleGrid(w, h, 0, float64(w), 0, float64(h))
			d.reset(w, h)
			pt := func() canvas.Point { return canvas.Point{X: rng.IntN(2*w+4) - 2, Y: rng.IntN(4*h+4) - 2} }
			prev := pt()
			want.Set(prev)
			d.set(prev)
			for range rng.IntN(20) {
				cur := pt()
				for _, q := range graph.GetLinePointsWithLimit(prev, cur, 1000) {
					want.Set(q)
					d.set(q)
				}
				prev = cur
			}
			for y, line := range want.BraillePatterns() {
				for x, r := range line {
					if got := d.at(x, y); got != r {
						t.Fatalf("%d×%d: cell (%d, %d) = %q, want ntcharts' %q", w, h, x, y, got, r)
					}
				}
			}
		}
	}
}

// A chart's view is exactly its size at any size, too small to draw
// included: compose joins the views without fitting them again.
func TestChartViewIsItsSize(t *testing.T) {
	st := DefaultStyles()
	var s []core.Sample
	for i := range 240 {
		s = append(s, core.Sample{At: t0.Add(time.Duration(i) * 15 * time.Second), Value: 0.5 + 0.4*float64(i%7)/7})
	}
	fc := &core.ForecastStatus{CPU: 0.9, Lower: 0.8, Upper: 1.1, Model: "linear",
		Path: []core.ForecastPoint{{At: s[239].At.Add(5 * time.Minute), Value: 0.9, Lower: 0.8, Upper: 1.1}}}
	for _, size := range [][2]int{{0, 0}, {5, 3}, {12, 1}, {12, 3}, {40, 10}, {97, 17}} {
		w, h := size[0], size[1]
		c := newChart("CPU", metricFormat(core.MetricCPU), &st, time.UTC)
		c.SetSize(w, h)
		c.SetData(chartData{Now: s[239].At, Window: time.Hour, Samples: s, Up: 0.7, Down: 0.3,
			Headline: "74.1%", Forecast: fc, Note: "a note long enough to be cut off"})
		c.Redraw()
		lines := strings.Split(c.View(), "\n")
		if h == 0 {
			if c.View() != "" {
				t.Errorf("%d×%d: view %q, want empty", w, h, c.View())
			}
			continue
		}
		if len(lines) != h {
			t.Errorf("%d×%d: %d lines, want %d", w, h, len(lines), h)
		}
		for i, l := range lines {
			if got := ansi.StringWidth(l); got != w {
				t.Errorf("%d×%d: line %d is %d wide, want %d: %q", w, h, i, got, w, l)
			}
		}
	}
}
