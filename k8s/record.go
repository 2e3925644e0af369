package k8s

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilrand "k8s.io/apimachinery/pkg/util/rand"

	"github.com/kimiclaw/kimiscale/core"
)

// Event reasons kimiscale records on the Deployment, one per kind of write.
const (
	ReasonScaled     = "KimiscaleScaled"
	ReasonPinned     = "KimiscalePinned"
	ReasonUnpinned   = "KimiscaleUnpinned"
	ReasonDuckDB     = "KimiscaleDuckDB"
	ReasonNotApplied = "KimiscaleNotApplied"
)

// recordTimeout bounds the Event write that follows a change, so a server
// that went away cannot hold the caller after the change itself finished.
const recordTimeout = 5 * time.Second

// AuditRecord is one line of the local audit log (JSON lines): every write
// kimiscale attempted, applied or not.
type AuditRecord struct {
	At         time.Time `json:"at"`
	User       string    `json:"user"`
	Action     string    `json:"action"` // scale, pin, unpin, duckdb
	Namespace  string    `json:"namespace"`
	Deployment string    `json:"deployment"`
	Applied    bool      `json:"applied"`
	DryRun     bool      `json:"dryRun,omitempty"`
	Via        string    `json:"via,omitempty"`
	Message    string    `json:"message"`
	// Error says why the write was not applied (or what failed after it).
	Error string `json:"error,omitempty"`
	// Request is the ScaleRequest, PinRequest or DuckDBRequest as asked.
	Request any `json:"request"`
}

// auditLog appends AuditRecords to a file: opened with O_APPEND for each
// line and fsync'd before the write returns, so a crash loses no line and
// two consoles sharing the file never interleave within a line.
type auditLog struct {
	mu   sync.Mutex
	path string
}

// openAuditLog creates the log's directory (0700) and file (0600).
func openAuditLog(path string) (*auditLog, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("audit log %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit log %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("audit log %s: %w", path, err)
	}
	return &auditLog{path: path}, nil
}

// append writes rec as one line and fsyncs it.
func (a *auditLog) append(rec AuditRecord) error {
	line, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("audit log: encode: %w", err)
	}
	line = append(line, '\n')
	a.mu.Lock()
	defer a.mu.Unlock()
	f, err := os.OpenFile(a.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("audit log %s: %w", a.path, err)
	}
	_, werr := f.Write(line)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return fmt.Errorf("audit log %s: %w", a.path, err)
	}
	return nil
}

// write describes one write for the record: what was asked, by whom and why.
type write struct {
	action  string // scale, pin, unpin, duckdb
	reason  string // Event reason when applied
	by, why string
	request any
	// after is what failed after the change was applied (a restart after
	// the ConfigMap update): recorded as a warning, the change stands.
	after error
}

// finish records a write: an audit line always, and an Event on the
// Deployment unless it was a dry run (which changed nothing anyone else
// could see). An error of the write itself makes it "not applied". A
// failure to record is logged and added to the result's Message, never
// turned into an error for a change that was applied: the change stands.
func (c *Client) finish(ctx context.Context, w write, res core.ApplyResult, err error) (core.ApplyResult, error) {
	res.At = c.clock.Now()
	res.DryRun = c.dryRun
	if err != nil {
		res.Applied = false
		if res.Message == "" {
			res.Message = "not applied: " + err.Error()
		}
	}
	rec := AuditRecord{
		At: res.At, User: w.by, Action: w.action, Namespace: c.ns, Deployment: c.name,
		Applied: res.Applied, DryRun: res.DryRun, Via: res.Via, Message: res.Message, Request: w.request,
	}
	switch {
	case err != nil:
		rec.Error = err.Error()
	case w.after != nil:
		rec.Error = w.after.Error()
	}
	if aerr := c.audit.append(rec); aerr != nil {
		c.log.Error("audit log", "err", aerr)
		res.Message += "; audit log not written: " + aerr.Error()
	}
	if !c.dryRun {
		reason, typ := w.reason, corev1.EventTypeNormal
		msg := fmt.Sprintf("%s: %s", w.by, res.Message)
		if w.after != nil {
			typ = corev1.EventTypeWarning
		}
		if err != nil {
			reason, typ = ReasonNotApplied, corev1.EventTypeWarning
			msg = fmt.Sprintf("%s: %s not applied: %v", w.by, w.action, err)
		}
		if w.why != "" {
			msg += " (why: " + w.why + ")"
		}
		if eerr := c.recordEvent(ctx, w.by, w.action, reason, typ, msg, res.At); eerr != nil {
			c.log.Error("record event", "reason", reason, "err", eerr)
			if err == nil {
				res.Message += "; Event not recorded: " + eerr.Error()
			}
		}
	}
	return res, err
}

// recordEvent creates a core/v1 Event on the Deployment. It uses its own
// deadline and survives the caller's cancellation, so a write cut short is
// still reported to the other consoles when the server can be reached.
func (c *Client) recordEvent(ctx context.Context, by, action, reason, typ, msg string, at time.Time) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	ref := corev1.ObjectReference{Kind: "Deployment", APIVersion: "apps/v1", Namespace: c.ns, Name: c.name}
	if d := c.cachedDeployment(); d != nil {
		ref.UID = d.UID
	}
	host := by
	if i := strings.LastIndexByte(by, '@'); i >= 0 {
		host = by[i+1:]
	}
	const noteLimit = 1024 // the API server's limit on an Event message
	if len(msg) > noteLimit {
		msg = msg[:noteLimit-3] + "..."
	}
	ev := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{
			// As client-go's recorder names Events, plus a random suffix so
			// two consoles (or a fake clock) never collide.
			Name:        fmt.Sprintf("%s.%x.%s", c.name, at.UnixNano(), utilrand.String(5)),
			Namespace:   c.ns,
			Annotations: map[string]string{AnnotationBy: by},
		},
		InvolvedObject: ref,
		Reason:         reason,
		Message:        msg,
		Type:           typ,
		Source:         corev1.EventSource{Component: Component, Host: host},
		// EventTime has microseconds, so Events orders writes made within
		// the same second; the second-precision timestamps are for kubectl.
		EventTime:           metav1.NewMicroTime(at),
		FirstTimestamp:      metav1.NewTime(at),
		LastTimestamp:       metav1.NewTime(at),
		Count:               1,
		Action:              action,
		ReportingController: Component,
		ReportingInstance:   truncate(by, 128),
	}
	if _, err := c.client.CoreV1().Events(c.ns).Create(ctx, ev, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create event %s on deployment %s/%s: %w", reason, c.ns, c.name, err)
	}
	return nil
}

// truncate cuts s to at most n bytes.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
