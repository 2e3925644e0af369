package ui

import "charm.land/bubbles/v2/key"

// KeyMap is every key the dashboard answers to (DESIGN.md, Keys: contract).
// The write keys (Approve, Override, Reject, Auto, DuckDB, Pin) are disabled
// in read-only mode, so neither help nor Update offers them.
type KeyMap struct {
	Approve  key.Binding
	Override key.Binding
	Reject   key.Binding
	Auto     key.Binding
	DuckDB   key.Binding
	Pin      key.Binding // pins the HPA at a typed count, or unpins it; footer: only with an HPA
	Pause    key.Binding
	Window   key.Binding
	Focus    key.Binding
	Help     key.Binding
	Quit     key.Binding

	// Dialog keys.
	Confirm key.Binding
	Cancel  key.Binding
	Press   key.Binding // activates the focused button
	Next    key.Binding // moves focus between buttons
	Restart key.Binding // toggles the rolling restart in the DuckDB dialog
	// Bypass is the only key that confirms the cooldown bypass: a second
	// confirmation on the same key as the first (y, enter) would be
	// defeated by a double press or key repeat.
	Bypass key.Binding
}

// DefaultKeyMap returns the keys of DESIGN.md.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Approve:  key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "approve")),
		Override: key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "override")),
		Reject:   key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "reject")),
		Auto:     key.NewBinding(key.WithKeys("A"), key.WithHelp("A", "auto-apply")),
		DuckDB:   key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "duckdb")),
		Pin:      key.NewBinding(key.WithKeys("P"), key.WithHelp("P", "pin HPA")),
		Pause:    key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "pause")),
		Window:   key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "window")),
		Focus:    key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "focus")),
		Help:     key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:     key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),

		Confirm: key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "confirm")),
		Cancel:  key.NewBinding(key.WithKeys("n", "esc"), key.WithHelp("n/esc", "cancel")),
		Press:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "press focused")),
		Next:    key.NewBinding(key.WithKeys("tab", "shift+tab", "left", "right", "h", "l"), key.WithHelp("tab/←/→", "move focus")),
		Restart: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "toggle restart")),
		Bypass:  key.NewBinding(key.WithKeys("B"), key.WithHelp("B", "bypass the cooldown (second confirmation)")),
	}
}

// writeBindings are the keys that lead to a write.
func (k *KeyMap) writeBindings() []*key.Binding {
	return []*key.Binding{&k.Approve, &k.Override, &k.Reject, &k.Auto, &k.DuckDB, &k.Pin}
}

// setReadOnly enables or disables the write keys.
func (k *KeyMap) setReadOnly(ro bool) {
	for _, b := range k.writeBindings() {
		b.SetEnabled(!ro)
	}
}

// ShortHelp implements help.KeyMap: the one-line footer when no HPA targets
// the Deployment (Pin would only say that pinning needs one).
func (k KeyMap) ShortHelp() []key.Binding {
	return k.footerHelp(false)
}

// footerHelp is the one-line footer; with hpa it offers Pin after the other
// write keys. Help and quit come first: a narrow terminal cuts the line at its end, and
// those two must always be visible.
func (k KeyMap) footerHelp(hpa bool) []key.Binding {
	b := []key.Binding{k.Help, k.Quit, k.Approve, k.Override, k.Reject, k.Auto, k.DuckDB}
	if hpa {
		b = append(b, k.Pin)
	}
	return append(b, k.Pause, k.Window, k.Focus)
}

// FullHelp implements help.KeyMap: the screen that ? opens.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Approve, k.Override, k.Reject, k.Auto, k.DuckDB, k.Pin},
		{k.Pause, k.Window, k.Focus, k.Help, k.Quit},
		{k.Confirm, k.Cancel, k.Press, k.Next, k.Restart, k.Bypass},
	}
}

// dialogHelp is the help line of an open dialog of kind.
func (k KeyMap) dialogHelp(kind dialogKind) []key.Binding {
	switch kind {
	case dialogBypass:
		return []key.Binding{k.Bypass, k.Cancel}
	case dialogDuckDB:
		return []key.Binding{k.Confirm, k.Cancel, k.Press, k.Next, k.Restart}
	case dialogScale, dialogAuto, dialogPin, dialogUnpin:
	}
	return []key.Binding{k.Confirm, k.Cancel, k.Press, k.Next}
}
