package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	// stopGrace is how long a server gets to exit after SIGTERM before SIGKILL.
	stopGrace = 10 * time.Second
	// defaultStartTimeout bounds each server's startup; generous because the
	// machine running the tests may be shared and busy.
	defaultStartTimeout = 2 * time.Minute
	// logTailLines is how much of a server's output a failed test prints.
	logTailLines = 80
)

// process is one server started from a binary; it can be stopped and started
// again with the same arguments.
type process struct {
	name    string
	path    string
	args    []string
	env     []string // added to the test's environment
	logPath string

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{} // closed when the current run exits
	exitErr error
	started time.Time
	logFrom int64 // size of the log when the current run started
}

// start runs the process; its output is appended to logPath.
func (p *process) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done != nil {
		select {
		case <-p.done:
		default:
			return fmt.Errorf("start %s: already running", p.name)
		}
	}
	f, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("start %s: open log: %w", p.name, err)
	}
	var from int64
	if fi, err := f.Stat(); err == nil {
		from = fi.Size()
	}
	fmt.Fprintf(f, "=== %s: %s %s\n", time.Now().Format(time.RFC3339Nano), p.path, strings.Join(p.args, " "))
	cmd := exec.Command(p.path, p.args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = append(os.Environ(), p.env...)
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	done := make(chan struct{})
	p.cmd, p.done, p.exitErr, p.started, p.logFrom = cmd, done, nil, time.Now(), from
	go func() {
		err := cmd.Wait()
		fmt.Fprintf(f, "=== %s: exited: %v\n", time.Now().Format(time.RFC3339Nano), err)
		f.Close()
		p.mu.Lock()
		p.exitErr = err
		p.mu.Unlock()
		close(done)
	}()
	return nil
}

// exited returns a channel closed when the current run ends, and the error
// (exit status) once it has.
func (p *process) exited() (<-chan struct{}, func() error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	done := p.done
	return done, func() error {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.exitErr
	}
}

// running reports whether the process was started and has not exited.
func (p *process) running() bool {
	done, _ := p.exited()
	if done == nil {
		return false
	}
	select {
	case <-done:
		return false
	default:
		return true
	}
}

// pid returns the process ID of the current run, or 0.
func (p *process) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// stop sends sig, waits up to grace for the exit, then kills. It is a no-op
// when the process is not running.
func (p *process) stop(sig os.Signal, grace time.Duration) {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil || done == nil {
		return
	}
	select {
	case <-done:
		return
	default:
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
		return
	case <-time.After(grace):
	}
	_ = cmd.Process.Kill()
	select {
	case <-done:
	case <-time.After(grace):
		// The kernel did not reap it in time; nothing more can be done here.
	}
}

// tail returns the last n lines of the process's output.
func (p *process) tail(n int) string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// lostPortRace reports whether the last run died because a port it was given
// had been taken in the meantime.
func (p *process) lostPortRace() bool {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return false
	}
	p.mu.Lock()
	from := p.logFrom
	p.mu.Unlock()
	if from <= int64(len(b)) {
		b = b[from:] // only the last run counts
	}
	return bytes.Contains(b, []byte("address already in use"))
}

// rssBytes returns the resident set size of the running process, read from
// /proc (Linux); 0 when unknown.
func (p *process) rssBytes() int64 {
	pid := p.pid()
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb * 1024
		}
	}
	return 0
}

// waitReady polls ready every 100 ms until it returns nil, the process exits,
// or timeout passes; the error says which, with the last probe error.
func (p *process) waitReady(timeout time.Duration, ready func(ctx context.Context) error) error {
	done, exitErr := p.exited()
	deadline := time.Now().Add(timeout)
	var last error
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		last = ready(ctx)
		cancel()
		if last == nil {
			return nil
		}
		select {
		case <-done:
			return fmt.Errorf("%s exited before it was ready (%v); last probe: %w", p.name, exitErr(), last)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %s; last probe: %w", p.name, timeout, last)
		}
		select {
		case <-done:
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// errPortRace marks a start that failed because a port was taken.
var errPortRace = errors.New("port taken by another process")

// startWithRetry starts a server on fresh ports up to 3 times when it loses a
// port race; configure sets the process's arguments for the given ports.
func startWithRetry(p *process, nports int, timeout time.Duration, configure func(ports []int), ready func(ctx context.Context) error) error {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		ports, perr := freePorts(nports)
		if perr != nil {
			return perr
		}
		configure(ports)
		if err = p.start(); err != nil {
			return err
		}
		if err = p.waitReady(timeout, ready); err == nil {
			return nil
		}
		p.stop(syscall.SIGKILL, stopGrace)
		if !p.lostPortRace() {
			return err
		}
		err = fmt.Errorf("%w: %w", errPortRace, err)
	}
	return err
}

// freePorts returns n distinct TCP ports that were free on 127.0.0.1.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port on 127.0.0.1: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// logTailsOnFailure registers a cleanup that prints the tail of each
// process's output when the test failed. Register it after t.TempDir and
// before the cleanup that stops the processes: cleanups run last-in
// first-out, so it runs after they stopped and before their files go.
func logTailsOnFailure(t testing.TB, procs func() []*process) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for _, p := range procs() {
			t.Logf("--- %s output (last %d lines of %s):\n%s", p.name, logTailLines, p.logPath, p.tail(logTailLines))
		}
	})
}
