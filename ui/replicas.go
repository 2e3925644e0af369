package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/kimiclaw/kimiscale/core"
)

// scaleMark is a change of replicas seen on the Deployment, for the markers
// under the replicas chart.
type scaleMark struct {
	At       time.Time
	From, To int32
}

// replicasData is what the replicas chart draws.
type replicasData struct {
	Now      time.Time
	Window   time.Duration
	Samples  []core.Sample // replicas over time (value = spec.replicas)
	Marks    []scaleMark
	Min, Max int32
	Current  int32
	Ready    int32
}

// replicasChart draws replicas over time as a step chart of block runes,
// with ▲/▼ under the columns where a scale-up or scale-down happened.
type replicasChart struct {
	styles *Styles
	w, h   int
	data   replicasData
	dirty  bool
	view   string
}

func newReplicasChart(st *Styles) replicasChart { return replicasChart{styles: st, dirty: true} }

// SetSize sets the chart's size, title line included.
func (c *replicasChart) SetSize(w, h int) {
	if w != c.w || h != c.h {
		c.w, c.h, c.dirty = w, h, true
	}
}

// SetData replaces what the chart draws.
func (c *replicasChart) SetData(d replicasData) { c.data, c.dirty = d, true }

// View returns the cached rendering.
func (c replicasChart) View() string { return c.view }

// Redraw renders the chart if its data or size changed.
func (c *replicasChart) Redraw() {
	if !c.dirty {
		return
	}
	c.dirty = false
	if c.w < 10 || c.h < 1 {
		c.view = ""
		return
	}
	blocks := []rune(" ▁▂▃▄▅▆▇█")
	d := c.data
	s := c.styles
	title := fmt.Sprintf("%s %s %s %s",
		s.Title.Render("Replicas"),
		s.Bold.Render(fmt.Sprintf("%d desired, %d ready", d.Current, d.Ready)),
		s.Dim.Render(fmt.Sprintf("bounds %d..%d", d.Min, d.Max)),
		s.MarkUp.Render("▲up")+" "+s.MarkDown.Render("▼down"))
	if len(d.Samples) > 0 && d.Samples[0].At.After(d.Now.Add(-d.Window)) {
		title += s.Dim.Render(" (seen since " + d.Samples[0].At.Format("15:04") + ")")
	}
	lines := []string{fitLine(title, c.w)}
	if c.h < 2 {
		c.view = lines[0]
		return
	}
	w := c.w
	from := d.Now.Add(-d.Window)
	col := func(t time.Time) int {
		return int(float64(t.Sub(from)) / float64(d.Window) * float64(w))
	}
	// Value per column: the last sample at or before the column's end.
	vals := make([]float64, w)
	known := make([]bool, w)
	i := 0
	last, have := 0.0, false
	for x := range w {
		end := from.Add(time.Duration(float64(d.Window) * float64(x+1) / float64(w)))
		for i < len(d.Samples) && !d.Samples[i].At.After(end) {
			last, have = d.Samples[i].Value, true
			i++
		}
		vals[x], known[x] = last, have
	}
	marks := make([]rune, w)
	for _, m := range d.Marks {
		x := col(m.At)
		if x < 0 || x >= w {
			continue
		}
		switch {
		case m.To > m.From:
			marks[x] = '▲'
		case m.To < m.From:
			marks[x] = '▼'
		}
	}
	rows := c.h - 1
	markRow := rows >= 2
	if markRow {
		rows--
	}
	top := float64(max(d.Max, d.Current, 1))
	levels := rows * 8
	grid := make([][]rune, rows)
	for y := range rows {
		grid[y] = make([]rune, w)
		for x := range w {
			grid[y][x] = ' '
		}
	}
	for x := range w {
		if !known[x] {
			continue
		}
		lv := int(vals[x]/top*float64(levels) + 0.5)
		for y := range rows {
			fill := lv - (rows-1-y)*8
			grid[y][x] = blocks[min(max(fill, 0), 8)]
		}
		if !markRow && marks[x] != 0 {
			grid[rows-1][x] = marks[x]
		}
	}
	for _, g := range grid {
		lines = append(lines, colourMarks(string(g), s))
	}
	if markRow {
		m := make([]rune, w)
		for x := range w {
			m[x] = ' '
			if marks[x] != 0 {
				m[x] = marks[x]
			}
		}
		lines = append(lines, colourMarks(string(m), s))
	}
	c.view = strings.Join(lines, "\n")
}

// colourMarks styles a row of bars and markers.
func colourMarks(row string, s *Styles) string {
	var b strings.Builder
	var run []rune
	kind := 0 // 0 bars, 1 up, 2 down
	flush := func() {
		if len(run) == 0 {
			return
		}
		switch kind {
		case 1:
			b.WriteString(s.MarkUp.Render(string(run)))
		case 2:
			b.WriteString(s.MarkDown.Render(string(run)))
		default:
			b.WriteString(s.Replicas.Render(string(run)))
		}
		run = run[:0]
	}
	for _, r := range row {
		k := 0
		switch r {
		case '▲':
			k = 1
		case '▼':
			k = 2
		}
		if k != kind {
			flush()
			kind = k
		}
		run = append(run, r)
	}
	flush()
	return b.String()
}
