package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	tea "charm.land/bubbletea/v2"
	"k8s.io/klog/v2"

	"github.com/kimiclaw/kimiscale/ui"
)

var errNoTTY = errors.New("the dashboard needs a terminal, and standard input or output is not one; " +
	"for one decision without a terminal run: kubectl kimiscale status -o json")

// dashboardFPS is the most frames a second the dashboard draws. Its data
// changes at most a few times a second (a heartbeat every 0.5-1 s) and
// typing shows within 100 ms; bubbletea's default, 60, woke the process 60
// times a second for nothing: at the demo's default speed 395 context
// switches a second, 178 at 20 fps, 125 at 10, and the idle CPU went from
// 3.4-6.5 % of a core to 1.8-2.5 % (BenchmarkDemo/idle).
const dashboardFPS = 10

// dashboardProcs is GOMAXPROCS for the dashboard, unless the environment
// sets it. The dashboard waits on the network, its clock and the keyboard,
// and never has two cores' worth of work; with two Ps the runtime wakes a
// second thread to look for work at every timer and goroutine hand-off, and
// finds none. With one, the demo at its default speed wakes 63-65 times a
// second rather than 89-93, and uses 0.94-1.11 % of a core rather than
// 1.13-1.29 % (both side by side on one machine, 90 s, schedstat).
const dashboardProcs = 1

// Run opens the dashboard (or, with --demo --headless, prints decisions).
func (o *Options) Run(ctx context.Context) error {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	// A bad policy file is the user's to fix whatever the terminal; say so
	// before sending them off to find one.
	if _, err := o.policy(); err != nil {
		return err
	}
	if !o.Headless && (!isTerminal(o.streams.In) || !isTerminal(o.streams.Out)) {
		return errNoTTY
	}
	if _, set := os.LookupEnv("GOMAXPROCS"); !set && !o.Headless {
		runtime.GOMAXPROCS(dashboardProcs)
	}
	logger, closeLog, err := o.logger()
	if err != nil {
		return err
	}
	defer closeLog()
	if !o.Headless {
		// Nothing may write over the dashboard: client-go's own logging and
		// the API server's warnings go to the --debug log (or nowhere).
		klog.SetSlogLogger(logger)
		o.quietWarnings = true
	}
	src, err := o.buildSources(ctx, logger)
	if err != nil {
		return err
	}
	if src.notice != "" {
		fmt.Fprintln(o.streams.ErrOut, "note: "+src.notice)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := src.start(ctx); err != nil {
		return err
	}
	if o.Headless {
		return src.headless(ctx, o.streams.Out)
	}
	p := tea.NewProgram(ui.New(src.deps),
		tea.WithContext(ctx), tea.WithInput(o.streams.In), tea.WithOutput(o.streams.Out),
		tea.WithFPS(dashboardFPS))
	_, err = p.Run()
	// However the dashboard ended (q, ctrl+c, SIGTERM, a dropped ssh
	// session), give the auto-apply Lease back now rather than let another
	// console wait for it to expire. Release is a no-op when not held.
	if src.deps.Lease != nil {
		src.deps.Lease.Release()
	}
	if err != nil && !errors.Is(err, tea.ErrProgramKilled) && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("dashboard: %w", err)
	}
	return nil
}
