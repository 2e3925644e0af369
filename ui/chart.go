package ui

import (
	"fmt"
	"math"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/NimbleMarkets/ntcharts/v2/canvas"
	"github.com/NimbleMarkets/ntcharts/v2/canvas/graph"
	"github.com/NimbleMarkets/ntcharts/v2/canvas/runes"
	tslc "github.com/NimbleMarkets/ntcharts/v2/linechart/timeserieslinechart"

	"github.com/kimiclaw/kimiscale/core"
)

// Authors note on the charts.
//
// ntcharts' timeserieslinechart keeps every pushed point and, with auto-range
// on, rescales all of them on each push; its DrawBraille clears a canvas whose
// every cell carries a 656-byte lipgloss style (4 MB per redraw of four charts
// at 200×60), and its View renders every cell through lipgloss. None of that
// scales to 24 h of 15 s samples redrawn every poll. So:
//
//   - the history lives in core.Series ring buffers owned by the root model;
//   - each chart keeps one timeserieslinechart with auto-range off for its
//     geometry: on each redraw it sets the time and value ranges, and the
//     linechart lays out the axes, formats the labels and scales the points;
//   - the visible window is downsampled to two points per column (braille
//     resolution) and drawn with ntcharts' braille grid, line by line, as
//     DrawBraille does but into the chart's own rune grid;
//   - the axes layer (the only thing that needs the styled canvas) is drawn
//     only when its labels change and copied from a cache otherwise;
//   - the thresholds, the "now" divider and the forecast strip are drawn over
//     the grid, each with its own rune so they read without colour;
//   - the grid is rendered to a string once, by runs of equal style, and
//     cached: View only returns the cached string.

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
	styles *Styles
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
	// The axes layer and what it was drawn for (see axes).
	axesKey     string
	axesCells   [][]rune
	axesClasses [][]cellClass
	// grid maps points to braille dots (made again when the graph's size
	// changes); dots holds them.
	grid *graph.BrailleGrid
	dots dotGrid
	// wraps are the styles' SGR halves, built on first use.
	wraps *chartWraps
}

// newChart returns an empty chart; format renders values for the Y axis and
// the title.
func newChart(title string, format func(float64) string, st *Styles, loc *time.Location) chart {
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

// View returns the cached rendering, exactly its size: w×h.
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
		c.view = fitBlock("", c.w, c.h)
		return
	}
	title := c.titleLine()
	ch := c.h - 1
	if ch < 3 {
		c.view = fitBlock(title, c.w, c.h)
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
		format := c.format
		c.ts = tslc.New(cw, ch,
			tslc.WithXYSteps(xStep, yStep),
			// Labels of one width: ntcharts sizes the axis gutter from
			// the labels at every YStep rows, which can miss the top one.
			tslc.WithYLabelFormatter(func(_ int, v float64) string { return fmt.Sprintf("%4s", format(v)) }),
			// Time labels are written by axes, per redraw.
			tslc.WithXLabelFormatter(func(int, float64) string { return "" }),
		)
		c.ts.AutoMinX, c.ts.AutoMaxX, c.ts.AutoMinY, c.ts.AutoMaxY = false, false, false, false
	}
	ts := &c.ts
	from := d.Now.Add(-d.Window)
	ts.SetTimeRange(from, d.Now)
	ts.SetYRange(lo, hi)
	ts.SetViewTimeAndYRange(from, d.Now, lo, hi)
	c.axes(lo, hi, sw)
	gw, gh := ts.GraphWidth(), ts.GraphHeight()
	c.points = downsample(c.points[:0], d.Samples, from, d.Window, 2*max(gw, 1))
	x0 := ts.Origin().X + 1
	if ts.YStep() == 0 {
		x0 = 0
	}
	c.series(x0, gw, gh)
	row := func(v float64) int {
		y := (v - lo) / (hi - lo) * float64(gh)
		return min(max(gh-1-int(math.Floor(y)), 0), gh-1)
	}
	c.threshold(row, x0, cw)
	if sw > 0 {
		c.strip(row, cw, sw, gh, ts.XStep() > 0)
		c.threshold(row, cw+1, c.w)
	}
	// The title is fitted to w and the grid is h-1 rows of w one-column
	// cells: the view is w×h without fitting it again
	// (TestChartViewIsItsSize).
	c.view = title + "\n" + c.render()
}

// axes puts the axes and their labels into the grids. ntcharts draws the
// axes and value labels on a canvas whose every cell carries a lipgloss style
// (656 bytes), so clearing and reading it back costs more than everything
// else together: that layer is drawn only when the size or the value range
// changes and copied from a cache otherwise. The time labels, which change
// as now advances, are written here at the positions and with the rules of
// ntcharts' drawXLabel (every XStep columns, skipping repeats and labels
// that would be cut off or touch the previous one).
func (c *chart) axes(lo, hi float64, sw int) {
	ts := &c.ts
	key := fmt.Sprintf("%d %d %d %g %g", ts.Width(), ts.Height(), sw, lo, hi)
	if key != c.axesKey {
		c.axesKey = key
		ts.Clear()
		ts.DrawXYAxisAndLabel()
		c.grab(sw)
		c.axesCells = copyGrid(c.axesCells, c.cells)
		c.axesClasses = copyGrid(c.axesClasses, c.classes)
	} else {
		c.cells = copyGrid(c.cells, c.axesCells)
		c.classes = copyGrid(c.classes, c.axesClasses)
	}
	n := ts.XStep()
	if n <= 0 {
		return
	}
	y := ts.Origin().Y + 1
	gw, cw := ts.GraphWidth(), ts.Width()
	inc := (ts.ViewMaxX() - ts.ViewMinX()) / float64(gw)
	last := ""
	for i := 0; i < gw; i += n {
		x := ts.Origin().X + i
		if x > 0 && c.cells[y][x-1] != 0 {
			continue
		}
		l := c.xLabel(ts.ViewMinX() + inc*float64(i))
		if l == last || x+len(l) > cw {
			continue
		}
		for j, r := range l {
			c.cells[y][x+j], c.classes[y][x+j] = r, clsAxis
		}
		last = l
	}
}

// xLabel formats a time-axis value (Unix seconds) as HH:MM.
func (c *chart) xLabel(v float64) string {
	return time.UnixMilli(int64(math.Round(v * 1e3))).In(c.loc).Format("15:04")
}

// copyGrid copies src into dst, reusing dst's rows when the shape matches.
func copyGrid[T any](dst, src [][]T) [][]T {
	if len(dst) != len(src) || (len(src) > 0 && len(dst[0]) != len(src[0])) {
		dst = make([][]T, len(src))
		for y := range src {
			dst[y] = make([]T, len(src[y]))
		}
	}
	for y := range src {
		copy(dst[y], src[y])
	}
	return dst
}

// series draws the points in braille, mapped to dots by ntcharts' braille
// grid and scaled by the chart's own linechart (as timeserieslinechart's
// DrawBraille does, without its canvas clear). The dots go into the
// chart's own dotGrid, not the braille grid's.
func (c *chart) series(x0, gw, gh int) {
	if len(c.points) == 0 || gw <= 0 || gh <= 0 {
		return
	}
	ts := &c.ts
	if c.grid == nil || c.dots.w != gw || c.dots.h != gh {
		c.grid = graph.NewBrailleGrid(gw, gh, 0, float64(gw), 0, float64(gh))
	}
	g := c.grid
	c.dots.reset(gw, gh)
	scaled := func(p tslc.TimePoint) canvas.Float64Point {
		return ts.ScaleFloat64PointForLine(canvas.Float64Point{X: float64(p.Time.UnixMilli()) / 1e3, Y: p.Value})
	}
	prev := g.GridPoint(scaled(c.points[0]))
	c.dots.set(prev)
	for _, p := range c.points[1:] {
		cur := g.GridPoint(scaled(p))
		for _, q := range graph.GetLinePointsWithLimit(prev, cur, ts.MaxInterpolationPoints) {
			c.dots.set(q)
		}
		prev = cur
	}
	for y := range min(gh, len(c.cells)) {
		for x := range min(gw, len(c.cells[y])-x0) {
			if r := c.dots.at(x, y); r != runes.BrailleBlockOffset {
				c.cells[y][x0+x], c.classes[y][x0+x] = r, clsSeries
			}
		}
	}
}

// dotGrid is a braille dot grid of w×h cells that keeps its memory between
// redraws: a bit per dot, eight to a cell, as in Unicode's braille
// patterns. ntcharts' grid (runes.PatternDotsGrid) allocates a bool per dot
// at every clear and a slice per row to read it back: 13 % of the demo's
// allocations. TestDotGridMatchesNtcharts checks it draws the same.
type dotGrid struct {
	w, h  int
	cells []uint8
}

// reset clears the grid to w×h cells.
func (d *dotGrid) reset(w, h int) {
	d.w, d.h = w, h
	if n := w * h; cap(d.cells) >= n {
		d.cells = d.cells[:n]
		clear(d.cells)
	} else {
		d.cells = make([]uint8, n)
	}
}

// set sets the dot at p, counted from the top left, 2w dots across and 4h
// down; a dot outside is ignored, as ntcharts' grid does.
func (d *dotGrid) set(p canvas.Point) {
	if p.X < 0 || p.Y < 0 || p.X >= 2*d.w || p.Y >= 4*d.h {
		return
	}
	bit := uint8(1) << (p.Y%4 + 3*(p.X%2)) // dots 1-3 and 4-6
	if p.Y%4 == 3 {
		bit = 0x40 << (p.X % 2) // dots 7 and 8
	}
	d.cells[p.Y/4*d.w+p.X/2] |= bit
}

// at is the braille pattern of cell (x, y); an empty one is U+2800.
func (d *dotGrid) at(x, y int) rune {
	return runes.BrailleBlockOffset + rune(d.cells[y*d.w+x])
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

// niceCeil rounds v up to 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power
// of ten.
func niceCeil(v float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10} {
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

// render turns the grids into a string: each run of cells of one class
// between its style's two halves (see sgrWrap).
func (c *chart) render() string {
	cls := &c.sgr().cls
	var b strings.Builder
	for y, row := range c.cells {
		if y > 0 {
			b.WriteByte('\n')
		}
		cur := clsNone
		for x, r := range row {
			k := c.classes[y][x]
			if r == 0 {
				r, k = ' ', clsNone
			}
			if k != cur {
				b.WriteString(cls[cur].post)
				b.WriteString(cls[k].pre)
				cur = k
			}
			b.WriteRune(r)
		}
		b.WriteString(cls[cur].post)
	}
	return b.String()
}

// sgrWrap is what a style writes before and after a run of cells.
//
// The chart styles are colours and attributes only, which lipgloss renders
// as an SGR sequence before the text and a reset after it; Render also
// measures, splits and pads its input, and called once per run of cells it
// was a twentieth of the demo's idle CPU. So each style is rendered once,
// around a marker, and its two halves are written around each run.
type sgrWrap struct{ pre, post string }

// wrap is s in the style, as Render draws one line of text.
func (w sgrWrap) wrap(s string) string { return w.pre + s + w.post }

// wrapOf splits what st renders around a marker into the halves before and
// after it. A style that rendered the marker other than verbatim (a
// transform, say) would lose its colour here rather than be drawn wrong;
// TestWrapOfMatchesRender guards the chart styles, which are colours and
// attributes only.
func wrapOf(st lipgloss.Style) sgrWrap {
	const mark = "\uE000" // private use: in no SGR sequence
	out := st.Render(mark)
	i := strings.Index(out, mark)
	if i < 0 {
		return sgrWrap{}
	}
	return sgrWrap{pre: out[:i], post: out[i+len(mark):]}
}

// titleLine is the chart's first line: name, current value and legend.
// Its parts are wrapped in their styles' SGR halves (see sgrWrap): it is
// built at every poll, and Render measured each part.
func (c *chart) titleLine() string {
	w := c.sgr()
	d := c.data
	parts := []string{w.title.wrap(c.title), w.bold.wrap(d.Headline)}
	if d.Up > 0 {
		parts = append(parts, w.cls[clsUp].wrap(string(runeUp)+"up "+c.format(d.Up)))
	}
	if d.Down > 0 {
		parts = append(parts, w.cls[clsDown].wrap(string(runeDown)+"down "+c.format(d.Down)))
	}
	if f := d.Forecast; f != nil && len(f.Path) > 0 {
		parts = append(parts, w.cls[clsForecast].wrap(fmt.Sprintf("%cforecast %s %s", runeForecast, c.format(f.CPU), f.Model)),
			w.cls[clsBand].wrap(fmt.Sprintf("%c80%% %s–%s", runeBand, c.format(f.Lower), c.format(f.Upper))))
	}
	if d.Note != "" {
		parts = append(parts, w.warn.wrap(d.Note))
	}
	return fitLine(strings.Join(parts, " "), c.w)
}

// chartWraps are the chart styles' SGR halves: the grid's by cell class
// (the title's legend uses them too) and the title's own.
type chartWraps struct {
	cls               [clsCount]sgrWrap
	title, bold, warn sgrWrap
}

// sgr returns the chart's SGR halves, building them on first use.
func (c *chart) sgr() *chartWraps {
	if c.wraps == nil {
		s := c.styles
		w := &chartWraps{title: wrapOf(s.Title), bold: wrapOf(s.Bold), warn: wrapOf(s.Warn)}
		for k, st := range map[cellClass]lipgloss.Style{
			clsAxis: s.Axis, clsSeries: s.Series, clsUp: s.Up, clsDown: s.Down,
			clsForecast: s.Forecast, clsBand: s.Band, clsNow: s.Now,
		} {
			w.cls[k] = wrapOf(st)
		}
		c.wraps = w
	}
	return c.wraps
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
