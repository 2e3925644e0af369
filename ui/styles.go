package ui

import (
	"image/color"

	"charm.land/lipgloss/v2"
)

// Styles are every style the dashboard draws with. The text itself always
// says what the colour says (badges in brackets, actions in words, distinct
// chart runes), so the screen reads the same with NO_COLOR, when bubbletea's
// renderer downsamples these styles to the terminal's colour profile.
type Styles struct {
	Title     lipgloss.Style // panel titles
	Rule      lipgloss.Style // the rule after a panel title
	Focused   lipgloss.Style // title of the focused panel
	Dim       lipgloss.Style // secondary text
	Bold      lipgloss.Style
	Label     lipgloss.Style // "key:" labels
	Error     lipgloss.Style
	Warn      lipgloss.Style
	OK        lipgloss.Style
	Badge     lipgloss.Style // neutral mode badge
	BadgeWarn lipgloss.Style // a mode that limits what kimiscale may do
	BadgeOn   lipgloss.Style // an active mode (AUTO)

	ActionUp       lipgloss.Style
	ActionDown     lipgloss.Style
	ActionMaintain lipgloss.Style
	ActionHold     lipgloss.Style

	Axis      lipgloss.Style // chart axes and labels
	Series    lipgloss.Style // the measured series
	Forecast  lipgloss.Style // the forecast line
	Band      lipgloss.Style // the forecast's 80 % interval
	Up        lipgloss.Style // scale-up threshold
	Down      lipgloss.Style // scale-down threshold
	Now       lipgloss.Style // the "now" divider
	Replicas  lipgloss.Style
	MarkUp    lipgloss.Style // scale-up event marker
	MarkDown  lipgloss.Style // scale-down event marker
	Dialog    lipgloss.Style // dialog frame
	Button    lipgloss.Style
	ButtonOn  lipgloss.Style // the focused button
	Dangerous lipgloss.Style // dialog title of a write

	BarFull  color.Color // cooldown progress bar
	BarEmpty color.Color
}

// DefaultStyles returns the dashboard's styles for a dark terminal.
func DefaultStyles() Styles {
	var (
		red    = lipgloss.Color("#ff5f5f")
		green  = lipgloss.Color("#5fd787")
		yellow = lipgloss.Color("#ffd75f")
		blue   = lipgloss.Color("#5fafff")
		cyan   = lipgloss.Color("#5fd7d7")
		violet = lipgloss.Color("#af87ff")
		grey   = lipgloss.Color("#808080")
		dark   = lipgloss.Color("#303030")
	)
	badge := lipgloss.NewStyle().Bold(true)
	return Styles{
		Title:     lipgloss.NewStyle().Bold(true).Foreground(blue),
		Rule:      lipgloss.NewStyle().Foreground(grey),
		Focused:   lipgloss.NewStyle().Bold(true).Underline(true).Foreground(cyan),
		Dim:       lipgloss.NewStyle().Foreground(grey),
		Bold:      lipgloss.NewStyle().Bold(true),
		Label:     lipgloss.NewStyle().Foreground(grey),
		Error:     lipgloss.NewStyle().Bold(true).Foreground(red),
		Warn:      lipgloss.NewStyle().Foreground(yellow),
		OK:        lipgloss.NewStyle().Foreground(green),
		Badge:     badge.Foreground(blue),
		BadgeWarn: badge.Foreground(yellow),
		BadgeOn:   badge.Foreground(green),

		ActionUp:       lipgloss.NewStyle().Bold(true).Foreground(red),
		ActionDown:     lipgloss.NewStyle().Bold(true).Foreground(blue),
		ActionMaintain: lipgloss.NewStyle().Bold(true).Foreground(green),
		ActionHold:     lipgloss.NewStyle().Bold(true).Foreground(yellow),

		Axis:      lipgloss.NewStyle().Foreground(grey),
		Series:    lipgloss.NewStyle().Foreground(cyan),
		Forecast:  lipgloss.NewStyle().Foreground(violet),
		Band:      lipgloss.NewStyle().Foreground(violet).Faint(true),
		Up:        lipgloss.NewStyle().Foreground(red),
		Down:      lipgloss.NewStyle().Foreground(blue),
		Now:       lipgloss.NewStyle().Foreground(yellow),
		Replicas:  lipgloss.NewStyle().Foreground(green),
		MarkUp:    lipgloss.NewStyle().Bold(true).Foreground(red),
		MarkDown:  lipgloss.NewStyle().Bold(true).Foreground(blue),
		Dialog:    lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(yellow).Padding(0, 1),
		Button:    lipgloss.NewStyle().Foreground(grey),
		ButtonOn:  lipgloss.NewStyle().Bold(true).Reverse(true),
		Dangerous: lipgloss.NewStyle().Bold(true).Foreground(yellow),

		BarFull:  yellow,
		BarEmpty: dark,
	}
}
