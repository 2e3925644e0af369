package ui

import (
	"fmt"
	"math"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/NimbleMarkets/ntcharts/v2/canvas"
	"github.com/NimbleMarkets/ntcharts/v2/canvas/runes"
	tslc "github.com/NimbleMarkets/ntcharts/v2/linechart/timeserieslinechart"

	"github.com/kimiclaw/kimiscale/core"
)

// Authors note on the charts.
//
// ntcharts' timeserieslinechart keeps every pushed point and, with auto-range
// on, rescales all of them on each push; its canvas renders every cell through
// lipgloss. Neither scales to 24 h of 15 s samples redrawn every poll. So the
// history lives in core.Series ring buffers owned by the root model; auto-range
// is off; on each new sample (or resize, or window change) a chart clears its
// data, sets the time and value ranges, pushes only the visible window
// downsampled to two points per column (braille resolution) and draws. The
// thresholds, the "now" divider and the forecast strip are drawn over the
// canvas here, each with its own rune so that they read without colour, and
// the canvas is rendered to a string once, by runs of equal style, and cached.
// View only returns the cached string.

// Runes of the overlays; the legend in each chart's title names them.
const (
	runeUp       = '╌' // scale-up threshold
	runeDown     = '┈' // scale-down threshold
	runeForecast = '•' // forecast
	runeBand     = '░' // forecast 80 % interval
	runeNow      = '┊' // now
)

// cellClass says what a canvas cell shows, to pick its style.
type cellClass uint8

const (
	clsNone cellClass = iota
	clsAxis
	clsSeries
	clsUp
	clsDown
	clsForecast
	clsBand
	clsNow
	clsCount
)

// chartData is what one chart draws.
type chartData struct {
	Now    time.Time
	Window time.Duration
	// Samples are the visible window in time order, already per replica
	// where the metric's rule compares per-replica averages.
	Samples []core.Sample
	Up      float64 // 0: no threshold
	Down    float64
	// Forecast, when not nil, is drawn in a strip right of now.
	Forecast *core.ForecastStatus
	// Headline is the current value as text, e.g. "74.1%".
	Headline string
	// Note is shown after the legend (e.g. "no data: query error").
	Note string
}

// chart is one metric's time-series chart.
type chart struct {
	title  string
	format func(float64) string
	styles Styles
	loc    *time.Location

	w, h  int
	ts    tslc.Model
	data  chartData
	dirty bool
	view  string
	// classes and cells are reused between redraws.
	cells   [][]rune
	classes [][]cellClass
	points  []tslc.TimePoint
}

// newChart returns an empty chart; format renders values for the Y axis and
// the title.
func newChart(title string, format func(float64) string, st Styles, loc *time.Location) chart {
	return chart{title: title, format: format, styles: st, loc: loc, dirty: true}
}

// SetSize sets the chart's size, title line included.
func (c *chart) SetSize(w, h int) {
	if w == c.w && h == c.h {
		return
	}
	c.w, c.h = w, h
	c.dirty = true
}

// SetData replaces what the chart draws.
func (c *chart) SetData(d chartData) {
	c.data = d
	c.dirty = true
}

// View returns the cached rendering.
func (c chart) View() string { return c.view }

// stripWidth is the width of the forecast strip, "now" divider included.
func (c *chart) stripWidth() int {
	if c.data.Forecast == nil || len(c.data.Forecast.Path) == 0 {
		return 0
	}
	return min(max(c.w/7, 6), 16)
}

// Redraw renders the chart if its data or size changed since the last call.
func (c *chart) Redraw() {
	if !c.dirty {
		return
	}
	c.dirty = false
	if c.w < 10 || c.h < 1 {
		c.view = ""
		return
	}
	title := c.titleLine()
	ch := c.h - 1
	if ch < 3 {
		c.view = title
		return
	}
	sw := c.stripWidth()
	cw := c.w - sw
	xStep := 0
	if ch >= 6 {
		xStep = 14
	}
	yStep := max(2, (ch-2)/3)
	lo, hi := c.yRange()
	d := c.data
	if c.ts.Width() != cw || c.ts.Height() != ch || c.ts.XStep() != xStep || c.ts.YStep() != yStep {
		loc, format := c.loc, c.format
		c.ts = tslc.New(cw, ch,
			tslc.WithXYSteps(xStep, yStep),
			tslc.WithYLabelFormatter(func(_ int, v float64) string { return format(v) }),
			tslc.WithXLabelFormatter(func(_ int, v float64) string {
				return time.UnixMilli(int64(math.Round(v * 1e3))).In(loc).Format("15:04")
			}),
		)
		c.ts.AutoMinX, c.ts.AutoMaxX, c.ts.AutoMinY, c.ts.AutoMaxY = false, false, false, false
	}
	ts := &c.ts
	ts.ClearAllData()
	from := d.Now.Add(-d.Window)
	ts.SetTimeRange(from, d.Now)
	ts.SetYRange(lo, hi)
	ts.SetViewTimeAndYRange(from, d.Now, lo, hi)
	c.points = downsample(c.points[:0], d.Samples, from, d.Window, 2*max(ts.GraphWidth(), 1))
	for _, p := range c.points {
		ts.Push(p)
	}
	if len(c.points) > 0 {
		ts.DrawBraille()
	} else {
		ts.Clear()
		ts.DrawXYAxisAndLabel()
	}
	c.grab(sw)
	gh := ts.GraphHeight()
	row := func(v float64) int {
		y := (v - lo) / (hi - lo) * float64(gh)
		return min(max(gh-1-int(math.Floor(y)), 0), gh-1)
	}
	x0 := ts.Origin().X + 1
	if ts.YStep() == 0 {
		x0 = 0
	}
	gx1 := cw // graph columns are [x0, gx1)
	c.threshold(row, x0, gx1)
	if sw > 0 {
		c.strip(row, cw, sw, gh, ts.XStep() > 0)
		c.threshold(row, cw+1, c.w)
	}
	c.view = title + "\n" + c.render()
}

// yRange picks the value axis: from 0 to a little above the largest of the
// data, the thresholds and the forecast interval.
func (c *chart) yRange() (float64, float64) {
	d := c.data
	hi := max(d.Up, d.Down)
	for _, s := range d.Samples {
		if !math.IsNaN(s.Value) && !math.IsInf(s.Value, 0) {
			hi = max(hi, s.Value)
		}
	}
	if d.Forecast != nil {
		for _, p := range d.Forecast.Path {
			hi = max(hi, p.Upper, p.Value)
		}
	}
	if hi <= 0 {
		hi = 1
	}
	return 0, niceCeil(hi * 1.1)
}

// niceCeil rounds v up to 1, 2, 2.5 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// downsample averages samples into n buckets over [from, from+window] and
// appends one point per non-empty bucket to dst.
func downsample(dst []tslc.TimePoint, samples []core.Sample, from time.Time, window time.Duration, n int) []tslc.TimePoint {
	if n <= 0 || window <= 0 {
		return dst
	}
	width := float64(window) / float64(n)
	cur, sum, cnt := -1, 0.0, 0
	flush := func() {
		if cnt > 0 {
			at := from.Add(time.Duration((float64(cur) + 0.5) * width))
			dst = append(dst, tslc.TimePoint{Time: at, Value: sum / float64(cnt)})
		}
	}
	for _, s := range samples {
		if math.IsNaN(s.Value) || math.IsInf(s.Value, 0) {
			continue
		}
		off := s.At.Sub(from)
		if off < 0 || off > window {
			continue
		}
		b := min(int(float64(off)/width), n-1)
		if b != cur {
			flush()
			cur, sum, cnt = b, 0, 0
		}
		sum += s.Value
		cnt++
	}
	flush()
	return dst
}

// grab copies the ntcharts canvas into the rune and class grids, which are
// sw columns wider for the forecast strip.
func (c *chart) grab(sw int) {
	ts := &c.ts
	h, cw := ts.Height(), ts.Width()
	w := cw + sw
	if len(c.cells) != h || (h > 0 && len(c.cells[0]) != w) {
		c.cells = make([][]rune, h)
		c.classes = make([][]cellClass, h)
		for y := range h {
			c.cells[y] = make([]rune, w)
			c.classes[y] = make([]cellClass, w)
		}
	}
	ox, oy := ts.Origin().X, ts.Origin().Y
	if ts.XStep() == 0 {
		oy = h
	}
	for y := range h {
		for x := range w {
			r, cls := rune(0), clsNone
			if x < cw {
				r = ts.Canvas.Cell(canvas.Point{X: x, Y: y}).Rune
				if r != 0 {
					cls = clsAxis
					if y < oy && (x > ox || ts.YStep() == 0) && runes.IsBraillePattern(r) {
						cls = clsSeries
					}
				}
			}
			c.cells[y][x], c.classes[y][x] = r, cls
		}
	}
}

// threshold draws the up and down thresholds on empty cells of [x0, x1).
func (c *chart) threshold(row func(float64) int, x0, x1 int) {
	set := func(v float64, r rune, cls cellClass) {
		if v <= 0 {
			return
		}
		y := row(v)
		for x := x0; x < x1; x++ {
			if c.cells[y][x] == 0 || c.classes[y][x] == clsBand {
				c.cells[y][x], c.classes[y][x] = r, cls
			}
		}
	}
	set(c.data.Down, runeDown, clsDown)
	set(c.data.Up, runeUp, clsUp)
}

// strip draws the forecast from now (column x0) to the horizon.
func (c *chart) strip(row func(float64) int, x0, sw, gh int, axis bool) {
	f := c.data.Forecast
	for y := range gh {
		c.cells[y][x0], c.classes[y][x0] = runeNow, clsNow
	}
	if axis {
		for x := x0; x < x0+sw; x++ {
			c.cells[gh][x], c.classes[gh][x] = '─', clsAxis
		}
		c.cells[gh][x0] = '┴'
		label := "+" + shortDuration(f.Horizon)
		lx := x0 + sw - len(label)
		for i, r := range label {
			if lx+i > x0 {
				c.cells[gh+1][lx+i], c.classes[gh+1][lx+i] = r, clsAxis
			}
		}
	}
	n := sw - 1
	start := c.data.Now
	for j := range n {
		at := start.Add(time.Duration(float64(f.Horizon) * float64(j+1) / float64(n)))
		p := interpolate(f.Path, at)
		x := x0 + 1 + j
		top, bot := row(p.Upper), row(p.Lower)
		for y := top; y <= bot; y++ {
			c.cells[y][x], c.classes[y][x] = runeBand, clsBand
		}
		y := row(p.Value)
		c.cells[y][x], c.classes[y][x] = runeForecast, clsForecast
	}
}

// interpolate returns the forecast at t, linear between path points.
func interpolate(path []core.ForecastPoint, t time.Time) core.ForecastPoint {
	if len(path) == 0 {
		return core.ForecastPoint{At: t}
	}
	if !t.After(path[0].At) {
		return path[0]
	}
	for i := 1; i < len(path); i++ {
		if !t.After(path[i].At) {
			a, b := path[i-1], path[i]
			span := b.At.Sub(a.At)
			if span <= 0 {
				return b
			}
			k := float64(t.Sub(a.At)) / float64(span)
			mix := func(x, y float64) float64 { return x + (y-x)*k }
			return core.ForecastPoint{At: t, Value: mix(a.Value, b.Value), Lower: mix(a.Lower, b.Lower), Upper: mix(a.Upper, b.Upper)}
		}
	}
	return path[len(path)-1]
}

// render turns the grids into a string, one lipgloss render per run of
// cells with the same class.
func (c *chart) render() string {
	var st [clsCount]lipgloss.Style
	st[clsAxis] = c.styles.Axis
	st[clsSeries] = c.styles.Series
	st[clsUp] = c.styles.Up
	st[clsDown] = c.styles.Down
	st[clsForecast] = c.styles.Forecast
	st[clsBand] = c.styles.Band
	st[clsNow] = c.styles.Now
	var b, run strings.Builder
	for y, row := range c.cells {
		if y > 0 {
			b.WriteByte('\n')
		}
		cur := clsNone
		flush := func() {
			if run.Len() == 0 {
				return
			}
			if cur == clsNone {
				b.WriteString(run.String())
			} else {
				b.WriteString(st[cur].Render(run.String()))
			}
			run.Reset()
		}
		for x, r := range row {
			cls := c.classes[y][x]
			if r == 0 {
				r, cls = ' ', clsNone
			}
			if cls != cur {
				flush()
				cur = cls
			}
			run.WriteRune(r)
		}
		flush()
	}
	return b.String()
}

// titleLine is the chart's first line: name, current value and legend.
func (c *chart) titleLine() string {
	s := c.styles
	d := c.data
	parts := []string{s.Title.Render(c.title), s.Bold.Render(d.Headline)}
	if d.Up > 0 {
		parts = append(parts, s.Up.Render(string(runeUp)+"up "+c.format(d.Up)))
	}
	if d.Down > 0 {
		parts = append(parts, s.Down.Render(string(runeDown)+"down "+c.format(d.Down)))
	}
	if f := d.Forecast; f != nil && len(f.Path) > 0 {
		parts = append(parts, s.Forecast.Render(fmt.Sprintf("%cforecast %s %s", runeForecast, c.format(f.CPU), f.Model)),
			s.Band.Render(fmt.Sprintf("%c80%% %s–%s", runeBand, c.format(f.Lower), c.format(f.Upper))))
	}
	if d.Note != "" {
		parts = append(parts, s.Warn.Render(d.Note))
	}
	return fitLine(strings.Join(parts, " "), c.w)
}

// shortDuration renders 5m0s as 5m and 1h0m0s as 1h.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
