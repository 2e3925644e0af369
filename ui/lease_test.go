package ui

import (
	"reflect"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

// cmdsOf flattens a Cmd's batch or sequence into its Cmds, in order,
// running only the outer Cmd.
func cmdsOf(cmd tea.Cmd) (msgs []tea.Msg, seq []tea.Cmd) {
	msg := cmd()
	v := reflect.ValueOf(msg)
	if v.Kind() != reflect.Slice {
		return []tea.Msg{msg}, nil
	}
	for i := range v.Len() {
		if c, ok := v.Index(i).Interface().(tea.Cmd); ok && c != nil {
			seq = append(seq, c)
		}
	}
	return nil, seq
}

func TestLeaseReleasedOutsideUpdate(t *testing.T) {
	t.Run("auto off", func(t *testing.T) {
		r := newRig()
		m := held(t, keys(t, r.model(t, 120, 40, maintain), "A", "y"))
		nm, cmd := m.Update(press("A"))
		m = nm.(Model)
		if r.lease.released != 0 {
			t.Fatalf("Release ran inside Update (it blocks up to 10s in k8s)")
		}
		if m.autoWanted || !strings.Contains(text(m), "releasing the Lease…") {
			t.Fatalf("A: autoWanted %v; screen does not say the Lease is being released:\n%s", m.autoWanted, text(m))
		}
		for _, msg := range runNow(cmd) {
			m = update(t, m, msg)
		}
		if r.lease.released != 1 || strings.Contains(text(m), "releasing the Lease…") {
			t.Fatalf("after the Cmd: released %d, want 1 and the notice gone", r.lease.released)
		}
	})
	for _, k := range []string{"q", "ctrl+c"} {
		t.Run("quit with "+k, func(t *testing.T) {
			r := newRig()
			m := held(t, keys(t, r.model(t, 120, 40, maintain), "A", "y"))
			nm, cmd := m.Update(press(k))
			m = nm.(Model)
			if r.lease.released != 0 {
				t.Fatalf("%s: Release ran inside Update", k)
			}
			if !strings.Contains(text(m), "releasing the Lease…") {
				t.Errorf("%s: the screen does not say the Lease is being released:\n%s", k, text(m))
			}
			_, seq := cmdsOf(cmd)
			if len(seq) != 2 {
				t.Fatalf("%s: %d Cmds in sequence, want release then quit", k, len(seq))
			}
			seq[0]()
			if r.lease.released != 1 {
				t.Fatalf("%s: the first Cmd released %d times, want 1", k, r.lease.released)
			}
			if _, ok := seq[1]().(tea.QuitMsg); !ok {
				t.Errorf("%s: the second Cmd does not quit", k)
			}
		})
	}
	t.Run("A again while releasing waits for the release", func(t *testing.T) {
		r := newRig()
		m := held(t, keys(t, r.model(t, 120, 40, maintain), "A", "y"))
		nm, release := m.Update(press("A"))
		m = keys(t, nm.(Model), "A", "y")
		if r.lease.acquired != 1 {
			t.Fatalf("Acquire ran again (%d) before the previous Release returned: Release would stop the new campaign", r.lease.acquired)
		}
		for _, msg := range runNow(release) {
			m = send(t, m, msg)
		}
		if r.lease.acquired != 2 || !m.autoWanted {
			t.Fatalf("after the release: Acquire %d times, autoWanted %v; want the new campaign", r.lease.acquired, m.autoWanted)
		}
	})
}

func TestQuitWhileWriting(t *testing.T) {
	for _, k := range []string{"q", "ctrl+c"} {
		t.Run(k, func(t *testing.T) {
			r := newRig()
			m := keys(t, r.model(t, 120, 40, scaleUp), "a")
			m = update(t, m, press("y")) // the write's Cmd never returns
			if m.writing != 1 {
				t.Fatalf("writing %d, want a write in flight", m.writing)
			}
			nm, cmd := m.Update(press(k))
			m = nm.(Model)
			if cmd != nil {
				if _, quit := cmd().(tea.QuitMsg); quit {
					t.Fatalf("%s quit at once while a write was in flight", k)
				}
			}
			if want := "a write is in flight; q again to quit anyway"; !strings.Contains(text(m), want) {
				t.Errorf("screen lacks %q:\n%s", want, text(m))
			}
			_, cmd = m.Update(press(k))
			if cmd == nil {
				t.Fatalf("second %s: no command", k)
			}
			if _, quit := cmd().(tea.QuitMsg); !quit {
				t.Errorf("second %s did not quit", k)
			}
		})
	}
	t.Run("another key disarms", func(t *testing.T) {
		r := newRig()
		m := update(t, keys(t, r.model(t, 120, 40, scaleUp), "a"), press("y"))
		m = keys(t, m, "q", "w")
		if _, cmd := m.Update(press("q")); cmd != nil {
			if _, quit := cmd().(tea.QuitMsg); quit {
				t.Fatalf("q after another key quit without asking again")
			}
		}
	})
}
