//go:build integration

package main

// TestE2EDemo runs the built plugin as a person would: in a terminal (a
// detached tmux session of its own, 120×40, on its own tmux socket, so a
// user's tmux server is never touched), on the embedded demo cluster. It
// reads only what is on the screen (tmux capture-pane) and sends only keys
// (tmux send-keys): it waits for a scale-up decision, approves and confirms
// it, sees the replicas change, overrides the replica count, opens and
// closes the help, and quits, checking that the process exits 0 and leaves
// the terminal as it found it.
//
// It needs tmux (make deps installs it). The part in tmux is bounded by
// e2eBudget; every tmux server it starts is killed in t.Cleanup, also on
// failure, and a failure message ends with the last screen seen.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	// e2eCols and e2eRows are the terminal's size.
	e2eCols, e2eRows = 120, 40
	// e2eBudget bounds everything after the build: start, waits, quit.
	e2eBudget = 90 * time.Second
	// e2ePoll is how often the screen is captured while waiting.
	e2ePoll = 200 * time.Millisecond
	// e2eAttempts bounds the retries of a write refused because the demo's
	// HPA changed the replicas between the key press and the write.
	e2eAttempts = 6
)

// Screen patterns, as the dashboard prints them.
var (
	e2eHeaderRe   = regexp.MustCompile(`kimiscale demo/default/kimiclaw-db\s+replicas (\d+) \((\d+) ready\)`)
	e2eScaleUpRe  = regexp.MustCompile(`▲ SCALE UP\s+(\d+) → (\d+)`)
	e2eAppliedRe  = regexp.MustCompile(`(\d\d:\d\d:\d\d) ✔ scale (\d+) → (\d+) via`)
	e2eRefusedRe  = regexp.MustCompile(`(\d\d:\d\d:\d\d) ✘ (.*)`)
	e2eHPABadgeRe = regexp.MustCompile(`HPA kimiclaw-hpa (\d+)\.\.(\d+)`)
	e2eExitRe     = regexp.MustCompile(`(?m)^EXIT=(\d+)\s*$`)
)

const (
	e2eHelpTitle   = "Keys  (any key closes"
	e2eFooter      = "a approve • o override • x reject"
	e2eBypassTitle = "Bypass the cooldown?"
)

func TestE2EDemo(t *testing.T) {
	tmuxPath := e2eTmux(t)
	dir := t.TempDir()
	bin := buildPlugin(t, dir, "v0.0.0-e2e", "e2e")

	term := e2eStart(t, tmuxPath, dir, bin, "--demo")

	// The dashboard, at the size asked for.
	screen := term.waitFor("the dashboard's header and footer", func(s string) bool {
		return e2eHeaderRe.MatchString(s) && strings.Contains(s, e2eFooter)
	})
	if size := term.format("#{window_width}x#{window_height}"); size != fmt.Sprintf("%dx%d", e2eCols, e2eRows) {
		term.fatalf("terminal is %s, want %dx%d", size, e2eCols, e2eRows)
	}
	if term.format("#{alternate_on}") != "1" {
		term.fatalf("the dashboard runs outside the alternate screen")
	}
	// A person sees the event log from the start: nothing may have failed
	// before any key was pressed (the access check, the first polls).
	screen = term.waitFor("a scale-up decision (▲ SCALE UP)", func(s string) bool { return e2eScaleUpRe.MatchString(s) })
	if m := e2eRefusedRe.FindStringSubmatch(screen); m != nil {
		term.errorf("the event log shows a failure before any key was pressed: %q", m[0])
	}

	term.cancelByDefault()
	from, to := term.approveScaleUp()
	// The HPA's floor is now the target, so its emulated controller holds
	// the Deployment at or above it: the header shows it.
	term.waitFor(fmt.Sprintf("the header to show at least %d replicas and HPA kimiclaw-hpa %d..", to, to), func(s string) bool {
		return e2eReplicas(s) >= to && e2eHPAMin(s) == to
	})
	t.Logf("approved %d → %d", from, to)

	overTo := term.override()
	t.Logf("override to %d", overTo)

	// Help opens with ? and closes with esc.
	term.send("?")
	term.waitFor("the help screen after ?", func(s string) bool { return strings.Contains(s, e2eHelpTitle) })
	term.send("Escape")
	term.waitFor("the help to close after esc", e2eNoOverlay)

	// q quits: the process exits 0 and the terminal is restored.
	term.send("q")
	screen = term.waitFor("the shell's EXIT= line after q", func(s string) bool { return e2eExitRe.MatchString(s) })
	if code := e2eExitRe.FindStringSubmatch(screen)[1]; code != "0" {
		term.fatalf("the dashboard exited with status %s after q, want 0", code)
	}
	if strings.Contains(screen, e2eFooter) || e2eHeaderRe.MatchString(screen) {
		term.errorf("the dashboard is still on screen after it quit")
	}
	for _, f := range []struct{ format, want, what string }{
		{"#{alternate_on}", "0", "alternate screen left"},
		{"#{cursor_flag}", "1", "cursor visible"},
		{"#{mouse_any_flag}", "0", "mouse reporting off"},
		{"#{mouse_all_flag}", "0", "mouse motion reporting off"},
		{"#{keypad_cursor_flag}", "0", "cursor keys in normal mode"},
	} {
		if got := term.format(f.format); got != f.want {
			term.errorf("after quitting, %s = %q, want %q (%s)", f.format, got, f.want, f.what)
		}
	}

	// Both writes are in the audit log (the demo's lives in TMPDIR).
	e2eCheckAudit(t, filepath.Join(dir, "tmp", "kimiscale-demo-audit.log"), [][2]int{{from, to}, {-1, overTo}})
}

// cancelByDefault opens the confirmation of a scale-up and presses enter:
// focus starts on Cancel, so the dialog closes and nothing is written.
func (term *e2eTerm) cancelByDefault() {
	term.t.Helper()
	screen := term.waitFor("a scale-up decision (▲ SCALE UP)", func(s string) bool {
		return e2eScaleUpRe.MatchString(s) && e2eNoOverlay(s)
	})
	before := e2eEvents(screen)
	term.send("a")
	screen = term.waitFor("the confirmation dialog after a", func(s string) bool {
		return strings.Contains(s, "replicas?") || !e2eScaleUpRe.MatchString(s)
	})
	if !strings.Contains(screen, "replicas?") {
		term.t.Log("the decision changed before a arrived: no dialog to cancel")
		return
	}
	if !strings.Contains(screen, "[ Cancel ]") {
		term.fatalf("the confirmation dialog opened with focus off Cancel")
	}
	term.send("Enter")
	screen = term.waitFor("the dialog to close after enter on Cancel", e2eNoOverlay)
	for ev := range e2eEvents(screen) {
		if !before[ev] {
			term.fatalf("enter on Cancel wrote something: %q", ev)
		}
	}
}

// approveScaleUp waits for a scale-up decision, presses a and y back to
// back, and returns the applied write's from and to. A write the API server
// refused because the demo's HPA changed the replicas meanwhile ("changed
// underneath") is retried, at most e2eAttempts times.
func (term *e2eTerm) approveScaleUp() (from, to int) {
	term.t.Helper()
	for attempt := 1; ; attempt++ {
		screen := term.waitFor("a scale-up decision (▲ SCALE UP)", func(s string) bool {
			return e2eScaleUpRe.MatchString(s) && !strings.Contains(s, e2eHelpTitle)
		})
		before := e2eEvents(screen)
		term.send("a", "y")
		from, to, refused, ok := term.writeResult(before, "approve")
		if ok {
			if to <= from {
				term.fatalf("approving a scale-up applied %d → %d, not upwards", from, to)
			}
			return from, to
		}
		term.t.Logf("approve attempt %d: %s", attempt, refused)
		if attempt == e2eAttempts {
			term.fatalf("approve did not apply in %d attempts; last: %s", e2eAttempts, refused)
		}
	}
}

// override opens the override field, types a count above the current one
// (the HPA's maximum, 10, so the emulated HPA must settle exactly there),
// confirms, and waits for the header to show it. It retries when the demo
// changed the replicas underneath.
func (term *e2eTerm) override() int {
	term.t.Helper()
	const target = 10 // the demo HPA's maxReplicas and the seed policy's
	for attempt := 1; ; attempt++ {
		screen := term.waitFor("the dashboard with no dialog open", e2eNoOverlay)
		cur := e2eReplicas(screen)
		if cur >= target {
			term.fatalf("the demo already runs %d replicas: nothing above it within 2..10 to override to", cur)
		}
		before := e2eEvents(screen)
		// The field is prefilled with the current count (at most two
		// digits): clear it, type the target, review, confirm.
		term.send("o", "BSpace", "BSpace", "BSpace", strconv.Itoa(target), "Enter", "y")
		from, to, refused, ok := term.writeResult(before, "override")
		if ok {
			if to != target {
				term.fatalf("override to %d applied %d → %d", target, from, to)
			}
			term.waitFor(fmt.Sprintf("the header to show replicas %d", target), func(s string) bool {
				return e2eReplicas(s) == target && e2eHPAMin(s) == target
			})
			return target
		}
		term.t.Logf("override attempt %d: %s", attempt, refused)
		if attempt == e2eAttempts {
			term.fatalf("override did not apply in %d attempts; last: %s", e2eAttempts, refused)
		}
		// Close what is still open (the field, when the count changed to
		// the target meanwhile), and see it closed before the next key:
		// an esc followed at once by o reaches the program as alt+o.
		if !e2eNoOverlay(term.capture()) {
			term.send("Escape")
		}
	}
}

// e2eNoOverlay says the dashboard is on screen with no dialog, field or help
// over it. (The footer is not required: a status line such as "scale
// cancelled: nothing changed" takes its place until the next key.)
func e2eNoOverlay(s string) bool {
	return e2eHeaderRe.MatchString(s) &&
		!strings.Contains(s, "Override the replica count") && !strings.Contains(s, "replicas?") &&
		!strings.Contains(s, e2eBypassTitle) && !strings.Contains(s, e2eHelpTitle)
}

// writeResult waits for the outcome of a confirmed write: a new "✔ scale"
// line in the event log (ok), or a new "✘" line or nothing within 5 s
// (refused says what). A cooldown bypass dialog is confirmed too.
func (term *e2eTerm) writeResult(before map[string]bool, what string) (from, to int, refused string, ok bool) {
	term.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	bypassed := false
	for {
		s := term.capture()
		if strings.Contains(s, e2eBypassTitle) && !bypassed {
			term.send("y")
			bypassed = true
		}
		for _, m := range e2eAppliedRe.FindAllStringSubmatch(s, -1) {
			if !before[m[0]] {
				from, _ = strconv.Atoi(m[2])
				to, _ = strconv.Atoi(m[3])
				return from, to, "", true
			}
		}
		for _, m := range e2eRefusedRe.FindAllStringSubmatch(s, -1) {
			if !before[m[0]] {
				return 0, 0, "event log: " + m[0], false
			}
		}
		if time.Now().After(deadline) || time.Now().After(term.deadline) {
			return 0, 0, fmt.Sprintf("no new event 5 s after the %s keys (the decision may have changed before they arrived)", what), false
		}
		time.Sleep(e2ePoll)
	}
}

// e2eEvents is the set of event-log lines (applied or refused) on screen.
func e2eEvents(screen string) map[string]bool {
	seen := map[string]bool{}
	for _, re := range []*regexp.Regexp{e2eAppliedRe, e2eRefusedRe} {
		for _, m := range re.FindAllString(screen, -1) {
			seen[m] = true
		}
	}
	return seen
}

// e2eReplicas is the header's desired replicas, -1 when not on screen.
func e2eReplicas(screen string) int {
	m := e2eHeaderRe.FindStringSubmatch(screen)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// e2eHPAMin is the HPA badge's minReplicas, -1 when not on screen.
func e2eHPAMin(screen string) int {
	m := e2eHPABadgeRe.FindStringSubmatch(screen)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// e2eCheckAudit asserts that the audit log holds an applied scale for each
// want (from, to); a from of -1 matches any.
func e2eCheckAudit(t *testing.T, path string, want [][2]int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Errorf("audit log: %v", err)
		return
	}
	defer f.Close()
	type record struct {
		Action  string `json:"action"`
		Applied bool   `json:"applied"`
		Request struct {
			From int `json:"from"`
			To   int `json:"to"`
		} `json:"request"`
	}
	var applied [][2]int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Errorf("audit log %s: line %q: %v", path, sc.Text(), err)
			continue
		}
		if r.Action == "scale" && r.Applied {
			applied = append(applied, [2]int{r.Request.From, r.Request.To})
		}
	}
	if err := sc.Err(); err != nil {
		t.Errorf("audit log %s: %v", path, err)
	}
	for _, w := range want {
		found := false
		for _, a := range applied {
			if (w[0] == -1 || a[0] == w[0]) && a[1] == w[1] {
				found = true
			}
		}
		if !found {
			t.Errorf("audit log %s: no applied scale %d → %d among %v", path, w[0], w[1], applied)
		}
	}
}

// e2eTmux is tmux's path on the PATH.
func e2eTmux(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("tmux")
	if err != nil {
		t.Fatalf("tmux not found on the PATH (%v): run make deps (hack/install-deps.sh installs tmux)", err)
	}
	return p
}

// e2eTerm is the tmux session the plugin runs in.
type e2eTerm struct {
	t      testing.TB
	tmux   string
	socket string
	// socketPath is where tmux made the socket, removed in t.Cleanup.
	socketPath string
	env        []string
	budget     time.Duration // waitFor's bound, from the start
	deadline   time.Time
	last       string // the last screen captured
}

// e2eStart starts a tmux server on a socket of its own, with one detached
// e2eCols×e2eRows session running `sh -c 'BIN ARGS...; echo EXIT=$?;
// sleep 5'`: HOME, XDG_* and TMPDIR under dir, TERM=xterm-256color, no
// NO_COLOR. The server is killed in t.Cleanup.
func e2eStart(t testing.TB, tmuxPath, dir, bin string, args ...string) *e2eTerm {
	t.Helper()
	home := filepath.Join(dir, "home")
	env := []string{
		"HOME=" + home,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_STATE_HOME=" + filepath.Join(home, ".local", "state"),
		"XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
		"XDG_DATA_HOME=" + filepath.Join(home, ".local", "share"),
		"TMPDIR=" + filepath.Join(dir, "tmp"),
		"TERM=xterm-256color",
		"LANG=C.UTF-8",
		"LC_ALL=C.UTF-8",
	}
	for _, d := range []string{home, filepath.Join(dir, "tmp")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	// The tmux server's own environment: the test's, without what would
	// leak a user's setup into the session (their tmux, colour choice).
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "TMUX", "TMUX_PANE", "NO_COLOR", "HOME", "TERM", "TMPDIR", "LANG", "LC_ALL", "COLORTERM",
			"XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR":
			continue
		}
		env = append(env, kv)
	}
	conf := filepath.Join(dir, "tmux.conf")
	confText := strings.Join([]string{
		"set -g escape-time 0", // or every esc waits 500 ms
		"set -g default-terminal xterm-256color",
		"set -g remain-on-exit on", // keep the pane's last screen
		"set -g status off",        // all 40 rows are the program's
		"set -g history-limit 0",
	}, "\n") + "\n"
	if err := os.WriteFile(conf, []byte(confText), 0o600); err != nil {
		t.Fatal(err)
	}
	term := &e2eTerm{
		t: t, tmux: tmuxPath, env: env,
		socket:   fmt.Sprintf("kimiscale-e2e-%d", os.Getpid()),
		budget:   e2eBudget,
		deadline: time.Now().Add(e2eBudget),
	}
	t.Cleanup(func() {
		// Kill this test's server only, by its socket; ignore "no server".
		// tmux leaves the socket file behind: remove it too.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = exec.CommandContext(ctx, term.tmux, "-L", term.socket, "kill-server").Run()
		if filepath.Base(term.socketPath) == term.socket {
			_ = os.Remove(term.socketPath)
		}
	})
	script := fmt.Sprintf("unset NO_COLOR; export TERM=xterm-256color; %s %s; echo EXIT=$?; sleep 5",
		e2eQuote(bin), strings.Join(e2eQuoteAll(args), " "))
	if _, err := term.run("-f", conf, "new-session", "-d", "-s", "e2e",
		"-x", strconv.Itoa(e2eCols), "-y", strconv.Itoa(e2eRows), "sh", "-c", script); err != nil {
		t.Fatalf("start tmux: %v", err)
	}
	term.socketPath = term.format("#{socket_path}")
	return term
}

// run runs one tmux command on the test's socket.
func (term *e2eTerm) run(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, term.tmux, append([]string{"-L", term.socket}, args...)...)
	cmd.Env = term.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("tmux %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// capture returns the pane's screen as text.
func (term *e2eTerm) capture() string {
	term.t.Helper()
	out, err := term.run("capture-pane", "-p", "-t", "e2e")
	if err != nil {
		term.fatalf("capture the screen: %v", err)
	}
	term.last = out
	return out
}

// format returns a tmux format (e.g. #{alternate_on}) for the pane.
func (term *e2eTerm) format(f string) string {
	term.t.Helper()
	out, err := term.run("display-message", "-p", "-t", "e2e", f)
	if err != nil {
		term.fatalf("tmux format %s: %v", f, err)
	}
	return strings.TrimSpace(out)
}

// send types keys (tmux key names: a, Enter, Escape, BSpace) in one
// send-keys, so they reach the program back to back.
func (term *e2eTerm) send(keys ...string) {
	term.t.Helper()
	if _, err := term.run(append([]string{"send-keys", "-t", "e2e"}, keys...)...); err != nil {
		term.fatalf("send %q: %v", keys, err)
	}
}

// waitFor polls the screen every e2ePoll until ok holds, failing the test
// with the last screen when the budget runs out or the program has exited
// (the shell printed EXIT=) before ok held.
func (term *e2eTerm) waitFor(what string, ok func(screen string) bool) string {
	term.t.Helper()
	for {
		s := term.capture()
		if ok(s) {
			return s
		}
		if e2eExitRe.MatchString(s) {
			term.fatalf("waiting for %s: the program exited", what)
		}
		if time.Now().After(term.deadline) {
			term.fatalf("waiting for %s: not on screen within the %s budget", what, term.budget)
		}
		time.Sleep(e2ePoll)
	}
}

// fatalf fails the test now, with the last screen.
func (term *e2eTerm) fatalf(format string, args ...any) {
	term.t.Helper()
	term.t.Fatalf("%s\n%s", fmt.Sprintf(format, args...), term.screenDump())
}

// errorf fails the test and goes on, with the last screen.
func (term *e2eTerm) errorf(format string, args ...any) {
	term.t.Helper()
	term.t.Errorf("%s\n%s", fmt.Sprintf(format, args...), term.screenDump())
}

func (term *e2eTerm) screenDump() string {
	return fmt.Sprintf("last screen (%dx%d):\n┌%s┐\n%s└%s┘", e2eCols, e2eRows,
		strings.Repeat("─", e2eCols), term.last, strings.Repeat("─", e2eCols))
}

// e2eQuote quotes s for sh.
func e2eQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func e2eQuoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = e2eQuote(s)
	}
	return out
}
