package backtest

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/kimiclaw/kimiscale/core"
)

// ReadTrace reads a load trace: CSV with the header "timestamp,value" and one
// sample per row, in strictly increasing time order.
//
// A timestamp is either RFC 3339 ("1995-07-01T04:00:00Z") or a number of
// seconds (fractions allowed). A number is read as time.Unix(seconds): Unix
// seconds when it is a real date (the NASA traces), and plain seconds from the
// start of the trace when it is small (the Azure trace runs 0 .. 2,591,700),
// which then count from 1970-01-01T00:00:00Z. Either way the spacing of the
// samples is exact, which is all the simulator and the backtest use. One trace
// uses one kind of timestamp throughout.
//
// Every bad row is an error naming its line number and what is valid; nothing
// is skipped silently. Values must be finite numbers.
func ReadTrace(r io.Reader) ([]core.Sample, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // checked below, with a clearer message
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true

	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("trace is empty: want the header \"timestamp,value\" and at least one row")
	}
	if err != nil {
		return nil, fmt.Errorf("read trace: %w", err)
	}
	if len(header) != 2 || !strings.EqualFold(strings.TrimSpace(strings.TrimPrefix(header[0], "\ufeff")), "timestamp") ||
		!strings.EqualFold(strings.TrimSpace(header[1]), "value") {
		return nil, fmt.Errorf("trace line 1: want the header \"timestamp,value\", got %q", strings.Join(header, ","))
	}

	var (
		out     []core.Sample
		numeric bool // the kind of the first timestamp; the rest must match
	)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read trace: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != 2 {
			return nil, fmt.Errorf("trace line %d: want 2 fields \"timestamp,value\", got %d", line, len(rec))
		}
		at, isNum, err := parseTimestamp(strings.TrimSpace(rec[0]))
		if err != nil {
			return nil, fmt.Errorf("trace line %d: %w", line, err)
		}
		if len(out) == 0 {
			numeric = isNum
		} else if isNum != numeric {
			return nil, fmt.Errorf("trace line %d: timestamp %q mixes formats; the trace started with %s", line, rec[0], kindName(numeric))
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rec[1]), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("trace line %d: value %q is not a finite number", line, rec[1])
		}
		if n := len(out); n > 0 && !at.After(out[n-1].At) {
			return nil, fmt.Errorf("trace line %d: timestamp %q is not after the previous row's; want strictly increasing timestamps", line, rec[0])
		}
		out = append(out, core.Sample{At: at, Value: v})
	}
	if len(out) == 0 {
		return nil, errors.New("trace has a header but no rows: want at least one \"timestamp,value\" row")
	}
	return out, nil
}

func kindName(numeric bool) string {
	if numeric {
		return "numeric seconds"
	}
	return "RFC 3339 timestamps"
}

// parseTimestamp reads an RFC 3339 time or a non-negative number of seconds,
// and reports which it was.
func parseTimestamp(s string) (time.Time, bool, error) {
	if s == "" {
		return time.Time{}, false, errors.New("empty timestamp: want RFC 3339 (2006-01-02T15:04:05Z) or seconds")
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e12 {
			return time.Time{}, true, fmt.Errorf("timestamp %q: want seconds between 0 and 1e12", s)
		}
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(math.Round(frac*1e9))).UTC(), true, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("timestamp %q: want RFC 3339 (2006-01-02T15:04:05Z), Unix seconds or seconds from the trace start", s)
	}
	return t, false, nil
}
