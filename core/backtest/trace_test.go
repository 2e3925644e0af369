package backtest

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kimiclaw/kimiscale/core"
)

func TestReadTrace(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []core.Sample
	}{
		{
			name: "rfc3339",
			in:   "timestamp,value\n1995-07-01T04:00:00Z,42\n1995-07-01T04:01:00Z,61\n",
			want: []core.Sample{
				{At: time.Date(1995, 7, 1, 4, 0, 0, 0, time.UTC), Value: 42},
				{At: time.Date(1995, 7, 1, 4, 1, 0, 0, time.UTC), Value: 61},
			},
		},
		{
			name: "seconds from start count from the Unix epoch",
			in:   "timestamp,value\n0,6135515.87712279\n300,6126975.5\n",
			want: []core.Sample{
				{At: time.Unix(0, 0).UTC(), Value: 6135515.87712279},
				{At: time.Unix(300, 0).UTC(), Value: 6126975.5},
			},
		},
		{
			name: "unix seconds, fractions, spaces, BOM and CRLF",
			in:   "\ufeffTimestamp, Value\r\n1700000000.5, 1\r\n1700000060,2.25\r\n",
			want: []core.Sample{
				{At: time.Unix(1700000000, 5e8).UTC(), Value: 1},
				{At: time.Unix(1700000060, 0).UTC(), Value: 2.25},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadTrace(strings.NewReader(tc.in))
			if err != nil {
				t.Fatalf("ReadTrace() error = %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ReadTrace() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadTraceErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string // substrings of the error
	}{
		{"empty", "", []string{"empty", "timestamp,value"}},
		{"no header", "0,1\n300,2\n", []string{"line 1", "header"}},
		{"header only", "timestamp,value\n", []string{"no rows"}},
		{"bad timestamp", "timestamp,value\n0,1\nyesterday,2\n", []string{"line 3", "yesterday", "RFC 3339"}},
		{"bad value", "timestamp,value\n0,1\n300,lots\n", []string{"line 3", "lots", "finite number"}},
		{"nan value", "timestamp,value\n0,NaN\n", []string{"line 2", "finite number"}},
		{"negative seconds", "timestamp,value\n-5,1\n", []string{"line 2", "between 0"}},
		{"three fields", "timestamp,value\n0,1,2\n", []string{"line 2", "2 fields"}},
		{"out of order", "timestamp,value\n300,1\n0,2\n", []string{"line 3", "increasing"}},
		{"duplicate", "timestamp,value\n300,1\n300,2\n", []string{"line 3", "increasing"}},
		{"mixed kinds", "timestamp,value\n1995-07-01T04:00:00Z,1\n1700000000,2\n", []string{"line 3", "mixes formats"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadTrace(strings.NewReader(tc.in))
			if err == nil {
				t.Fatalf("ReadTrace(%q) error = nil, want one containing %q", tc.in, tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("ReadTrace(%q) error = %q, want it to contain %q", tc.in, err, w)
				}
			}
		})
	}
}

// readTraceFile reads one of the repository's real traces.
func readTraceFile(t testing.TB, name string) []core.Sample {
	t.Helper()
	f, err := os.Open("../../testdata/traces/" + name)
	if err != nil {
		t.Fatalf("open trace: %v", err)
	}
	defer f.Close()
	s, err := ReadTrace(f)
	if err != nil {
		t.Fatalf("ReadTrace(%s): %v", name, err)
	}
	return s
}

func TestReadTraceRealFiles(t *testing.T) {
	tests := []struct {
		file       string
		rows       int
		step       time.Duration
		first, end time.Time
	}{
		{"nasa_http_jul1995_1min.csv", 39692, time.Minute,
			time.Date(1995, 7, 1, 4, 0, 0, 0, time.UTC), time.Date(1995, 7, 28, 17, 31, 0, 0, time.UTC)},
		{"azure2019_vm_cpu_total_5min.csv", 8640, 5 * time.Minute,
			time.Unix(0, 0).UTC(), time.Unix(2591700, 0).UTC()},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			s := readTraceFile(t, tc.file)
			if len(s) != tc.rows {
				t.Fatalf("rows = %d, want %d", len(s), tc.rows)
			}
			if !s[0].At.Equal(tc.first) || !s[len(s)-1].At.Equal(tc.end) {
				t.Errorf("span = %s .. %s, want %s .. %s", s[0].At, s[len(s)-1].At, tc.first, tc.end)
			}
			for i := 1; i < len(s); i++ {
				if d := s[i].At.Sub(s[i-1].At); d != tc.step {
					t.Fatalf("step at row %d = %s, want %s", i, d, tc.step)
				}
			}
		})
	}
}
