package core

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want Bytes
	}{
		{"4GB", 4_000_000_000},
		{"4GiB", 4 * GiB},
		{"3.5GB", 3_500_000_000},
		{"800MB", 800_000_000},
		{"4 GB", 4_000_000_000},
		{"  2GiB  ", 2 * GiB},
		{"\t4\vGB\r\n", 4_000_000_000},
		{"4gb", 4_000_000_000},
		{"4gIb", 4 * GiB},
		// DuckDB's one-letter units are 1000-based, like KB..TB.
		{"4G", 4_000_000_000},
		{"100M", 100_000_000},
		{"10000K", 10_000_000},
		{"0.01T", 10_000_000_000},
		{"0.01TB", 10_000_000_000},
		{"1TiB", 1 << 40},
		{"1kib", 1024},
		{"768MiB", 768 * MiB},
		{"100000B", 100_000},
		{"100000 bytes", 100_000},
		{"1 byte", 1},
		{"1.0 gigabytes", 1_000_000_000},
		{"100 megabytes", 100_000_000},
		{"10000 kilobytes", 10_000_000},
		{"0.01 terabytes", 10_000_000_000},
		// Fractions of a byte truncate toward zero, as DuckDB's cast does.
		{"488.2 MiB", 511_914_803},
		{"1.5B", 1},
		{"1.9999B", 1},
		{".5KB", 500},
		{"2.KB", 2000},
		{"1e3MB", 1_000_000_000},
		{"2.5E-1KB", 250},
		{"0GB", 0},
		{"8388607TiB", 8388607 << 40},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseSize(tc.in)
			if err != nil || got != tc.want {
				t.Errorf("ParseSize(%q) = %d, %v, want %d, nil", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestParseSizeErrors(t *testing.T) {
	tests := []struct {
		in, why string
	}{
		{"", "empty"},
		{"   ", "empty"},
		{"-1GB", "negative (DuckDB would read it as no limit at all)"},
		{"-1", "negative (DuckDB would read it as no limit at all)"},
		{"4096", "no unit (DuckDB rejects a bare number)"},
		{"4X", `unknown unit "X"`},
		{"4 PB", `unknown unit "PB"`},
		{"4GB extra", `unknown unit "GB extra"`},
		{"4Gi", `unknown unit "Gi"`},
		{"GB", "no number before the unit"},
		{"NaN", "no number before the unit"},
		{"NaN GB", "no number before the unit"},
		{"inf GB", "no number before the unit"},
		{"1.2.3GB", `"1.2.3" is not a number`},
		{".GB", `"." is not a number`},
		{"1-2GB", `"1-2" is not a number`},
		{"1e+-3GB", `"1e+-3" has an invalid exponent`},
		{"1e400GB", `"1e400" has an exponent beyond ±30`},
		{"9223372036854775808B", "too large (the most is 8EiB - 1 byte)"},
		{"10000000000TB", "too large (the most is 8EiB - 1 byte)"},
		{"8388608TiB", "too large (the most is 8EiB - 1 byte)"},
		{"0x10GB", `unknown unit "x10GB"`},
		// DuckDB skips ASCII white space only.
		{"4GB\u00a0", `unknown unit "GB\u00a0"`},
		{"\u00a04GB", "no number before the unit"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseSize(tc.in)
			want := "invalid DuckDB size " + quote(tc.in) + ": " + tc.why + "; " + validSizeUnits
			if err == nil || err.Error() != want {
				t.Errorf("ParseSize(%q) = %d, %v\nwant error %s", tc.in, got, err, want)
			}
		})
	}
	long := strings.Repeat("1", 65) + "GB"
	if _, err := ParseSize(long); err == nil || !strings.Contains(err.Error(), "longer than 64 characters") {
		t.Errorf("ParseSize(65 digits) = %v, want a too-long error", err)
	}
}

func quote(s string) string { return strconv.Quote(s) }

func TestFormatSize(t *testing.T) {
	tests := []struct {
		in   Bytes
		want string
	}{
		{0, "0B"},
		{3 * GiB, "3GiB"},
		{768 * MiB, "768MiB"},
		{2304 * MiB, "2304MiB"},
		{4_000_000_000, "4GB"},
		{800_000_000, "800MB"},
		{1536 * KiB, "1536KiB"},
		{3_000, "3KB"},
		{1000, "1KB"},
		{1023, "1023B"},
		{1, "1B"},
		{-5, "-5B"},
		{8388607 << 40, "8589933568GiB"},
	}
	for _, tc := range tests {
		if got := FormatSize(tc.in); got != tc.want {
			t.Errorf("FormatSize(%d) = %q, want %q", tc.in, got, tc.want)
		}
		if tc.in < 0 {
			continue
		}
		back, err := ParseSize(tc.want)
		if err != nil || back != tc.in {
			t.Errorf("ParseSize(FormatSize(%d)) = %d, %v, want %d", tc.in, back, err, tc.in)
		}
	}
}

// FuzzParseSize checks that ParseSize never panics, and that every accepted
// input formats to a string that parses back to the same byte count (exact:
// FormatSize has no rounding, and ParseSize's truncation of fractional bytes
// happens once, on the first parse).
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"4GB", "4GiB", "3.5GB", "800MB", "4 GB", "4G", "1e3MB", "-1", "", "488.2 MiB",
		"0.01 terabytes", "9223372036854775807B", "1.5B", "NaN", "4096", "2.5E-1KB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseSize(s)
		if err != nil {
			if !strings.Contains(err.Error(), "valid: ") {
				t.Fatalf("ParseSize(%q) error %q does not say what is valid", s, err)
			}
			return
		}
		if b < 0 {
			t.Fatalf("ParseSize(%q) = %d, negative", s, b)
		}
		out := FormatSize(b)
		back, err := ParseSize(out)
		if err != nil || back != b {
			t.Fatalf("ParseSize(%q) = %d; FormatSize = %q; ParseSize again = %d, %v", s, b, out, back, err)
		}
	})
}

func TestMemoryQuantity(t *testing.T) {
	tests := []struct {
		in   string
		want Bytes
	}{
		{"2Gi", 2 * GiB},
		{"16Gi", 16 * GiB},
		{"512Mi", 512 * MiB},
		{"1.5Gi", 1536 * MiB},
		{"4Ki", 4096},
		{"1Ti", 1 << 40},
		{"2G", 2_000_000_000},
		{"500M", 500_000_000},
		{"3k", 3000},
		{"1T", 1_000_000_000_000},
		{"2147483648", 2 * GiB},
		{"+1Ki", 1024},
		{"0.5", 1}, // Kubernetes rounds a fraction of the smallest unit up
	}
	for _, tc := range tests {
		got, err := ParseMemoryQuantity(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseMemoryQuantity(%q) = %d, %v, want %d", tc.in, got, err, tc.want)
		}
	}
	bad := []struct{ in, why string }{
		{"", "empty"},
		{"-2Gi", "negative"},
		{"2GB", `unknown suffix "GB" (Kubernetes writes Ki, Mi, Gi, Ti or k, M, G, T, without B)`},
		{"2GiB", `unknown suffix "GiB" (Kubernetes writes Ki, Mi, Gi, Ti or k, M, G, T, without B)`},
		{"2K", `unknown suffix "K" (Kubernetes writes Ki, Mi, Gi, Ti or k, M, G, T, without B)`},
		{"512m", `"m" is milli, a thousandth of a byte; for megabytes write "M" or "Mi"`},
		{"2 Gi", `unknown suffix " Gi"`},
		{"Gi", "no number"},
		{"1.2.3Gi", `"1.2.3" is not a number`},
		{"99999999999Ti", "too large"},
	}
	for _, tc := range bad {
		want := "invalid memory quantity " + quote(tc.in) + ": " + tc.why + "; " + validMemoryQuantity
		if _, err := ParseMemoryQuantity(tc.in); err == nil || err.Error() != want {
			t.Errorf("ParseMemoryQuantity(%q) = %v\nwant %s", tc.in, err, want)
		}
	}
}

func TestCPUQuantity(t *testing.T) {
	tests := []struct {
		in   string
		want MilliCPU
	}{
		{"500m", 500},
		{"4", 4000},
		{"4000m", 4000},
		{"0.5", 500},
		{"1.25", 1250},
		{"0.0001", 1}, // rounds up to 1m, as Kubernetes does
	}
	for _, tc := range tests {
		got, err := ParseCPUQuantity(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseCPUQuantity(%q) = %d, %v, want %d", tc.in, got, err, tc.want)
		}
	}
	bad := []struct{ in, why string }{
		{"", "empty"},
		{"-1", "negative"},
		{"2Gi", `unknown suffix "Gi" (CPU is cores or millicores "m")`},
		{"500M", `unknown suffix "M" (CPU is cores or millicores "m")`},
		{"m", "no number"},
		{"1..5", `"1..5" is not a number`},
	}
	for _, tc := range bad {
		want := "invalid CPU quantity " + quote(tc.in) + ": " + tc.why + "; " + validCPUQuantity
		if _, err := ParseCPUQuantity(tc.in); err == nil || err.Error() != want {
			t.Errorf("ParseCPUQuantity(%q) = %v\nwant %s", tc.in, err, want)
		}
	}
}

func TestQuantityJSON(t *testing.T) {
	type pair struct {
		M Bytes    `json:"m"`
		C MilliCPU `json:"c"`
	}
	tests := []struct {
		in      string
		want    pair
		wantOut string
	}{
		{`{"m":"2Gi","c":"500m"}`, pair{2 * GiB, 500}, `{"m":"2Gi","c":"500m"}`},
		{`{"m":"16Gi","c":4}`, pair{16 * GiB, 4000}, `{"m":"16Gi","c":"4"}`},
		{`{"m":1024,"c":0.5}`, pair{KiB, 500}, `{"m":"1Ki","c":"500m"}`},
		{`{"m":1000,"c":"1500m"}`, pair{1000, 1500}, `{"m":"1000","c":"1500m"}`},
		{`{"m":"768Mi","c":"0"}`, pair{768 * MiB, 0}, `{"m":"768Mi","c":"0"}`},
	}
	for _, tc := range tests {
		var got pair
		if err := json.Unmarshal([]byte(tc.in), &got); err != nil || got != tc.want {
			t.Errorf("Unmarshal(%s) = %+v, %v, want %+v", tc.in, got, err, tc.want)
		}
		out, err := json.Marshal(got)
		if err != nil || string(out) != tc.wantOut {
			t.Errorf("Marshal(%+v) = %s, %v, want %s", got, out, err, tc.wantOut)
		}
	}
	var p pair
	for in, want := range map[string]string{
		`{"m":true}`:   "want a quantity, got true; " + validMemoryQuantity,
		`{"m":[1]}`:    "want a quantity, got [1]; " + validMemoryQuantity,
		`{"c":"2Gi"}`:  `invalid CPU quantity "2Gi"`,
		`{"m":"a\"b"}`: `invalid quantity "a\"b"`,
		`{"m":-1}`:     `invalid memory quantity "-1": negative`,
	} {
		err := json.Unmarshal([]byte(in), &p)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Unmarshal(%s) = %v, want an error containing %q", in, err, want)
		}
	}
}

func TestRecommendDuckDB(t *testing.T) {
	seed := DefaultPolicy()
	half := DefaultPolicy()
	half.DuckDB.MemoryFraction = 0.5
	seventy := DefaultPolicy()
	seventy.DuckDB.MemoryFraction = 0.7
	tests := []struct {
		name   string
		p      Policy
		limits Resources
		want   DuckDBRecommendation
	}{
		{
			name:   "seed 8Gi 4 cores",
			p:      seed,
			limits: Resources{CPU: 4000, Memory: 8 * GiB},
			want: DuckDBRecommendation{
				Settings:    DuckDBSettings{MemoryLimit: "6GiB", Threads: 4},
				MemoryLimit: 6 * GiB,
				Basis:       Resources{CPU: 4000, Memory: 8 * GiB},
				Reasons: []Reason{
					{ReasonDuckDBMemoryFraction, "memory_limit 6GiB is 75 % of the memory limit 8Gi"},
					{ReasonDuckDBThreadsFromCPU, "threads 4 is the CPU limit 4 rounded down to whole cores"},
				},
			},
		},
		{
			name:   "fractional cores round down",
			p:      seed,
			limits: Resources{CPU: 2500, Memory: 3 * GiB},
			want: DuckDBRecommendation{
				Settings:    DuckDBSettings{MemoryLimit: "2304MiB", Threads: 2},
				MemoryLimit: 2304 * MiB,
				Basis:       Resources{CPU: 2500, Memory: 3 * GiB},
				Reasons: []Reason{
					{ReasonDuckDBMemoryFraction, "memory_limit 2304MiB is 75 % of the memory limit 3Gi"},
					{ReasonDuckDBThreadsFromCPU, "threads 2 is the CPU limit 2500m rounded down to whole cores"},
				},
			},
		},
		{
			name:   "above the VPA maximum: capped",
			p:      seed,
			limits: Resources{CPU: 8000, Memory: 32 * GiB},
			want: DuckDBRecommendation{
				Settings:    DuckDBSettings{MemoryLimit: "12GiB", Threads: 4},
				MemoryLimit: 12 * GiB,
				Basis:       Resources{CPU: 4000, Memory: 16 * GiB},
				Reasons: []Reason{
					{ReasonDuckDBAboveVPAMax, "the memory limit 32Gi is above the VPA maximum 16Gi; sizing from 16Gi"},
					{ReasonDuckDBAboveVPAMax, "the CPU limit 8 is above the VPA maximum 4; sizing from 4"},
					{ReasonDuckDBMemoryFraction, "memory_limit 12GiB is 75 % of the memory limit 16Gi"},
					{ReasonDuckDBThreadsFromCPU, "threads 4 is the CPU limit 4 rounded down to whole cores"},
				},
			},
		},
		{
			name:   "below the VPA minimum: never more than the container has",
			p:      seed,
			limits: Resources{CPU: 250, Memory: 1 * GiB},
			want: DuckDBRecommendation{
				Settings:    DuckDBSettings{MemoryLimit: "768MiB", Threads: 1},
				MemoryLimit: 768 * MiB,
				Basis:       Resources{CPU: 250, Memory: 1 * GiB},
				Reasons: []Reason{
					{ReasonDuckDBBelowVPAMin, "the memory limit 1Gi is below the VPA minimum 2Gi; sizing from the container's own limit, since DuckDB cannot use memory the container does not have"},
					{ReasonDuckDBBelowVPAMin, "the CPU limit 250m is below the VPA minimum 500m; sizing from the container's own limit"},
					{ReasonDuckDBMemoryFraction, "memory_limit 768MiB is 75 % of the memory limit 1Gi"},
					{ReasonDuckDBThreadsFromCPU, "threads 1: the CPU limit 250m is under one core, and DuckDB needs at least 1 thread"},
				},
			},
		},
		{
			name:   "odd memory rounds down to a whole MiB",
			p:      half,
			limits: Resources{CPU: 1000, Memory: 3*GiB + 3*MiB},
			want: DuckDBRecommendation{
				Settings:    DuckDBSettings{MemoryLimit: "1537MiB", Threads: 1},
				MemoryLimit: 1537 * MiB,
				Basis:       Resources{CPU: 1000, Memory: 3*GiB + 3*MiB},
				Reasons: []Reason{
					{ReasonDuckDBMemoryFraction, "memory_limit 1537MiB is 50 % of the memory limit 3075Mi"},
					{ReasonDuckDBThreadsFromCPU, "threads 1 is the CPU limit 1 rounded down to whole cores"},
				},
			},
		},
		{
			name:   "0.7 is exactly 70 %, not the float below it",
			p:      seventy,
			limits: Resources{CPU: 4000, Memory: 10 * GiB},
			want: DuckDBRecommendation{
				Settings:    DuckDBSettings{MemoryLimit: "7GiB", Threads: 4},
				MemoryLimit: 7 * GiB,
				Basis:       Resources{CPU: 4000, Memory: 10 * GiB},
				Reasons: []Reason{
					{ReasonDuckDBMemoryFraction, "memory_limit 7GiB is 70 % of the memory limit 10Gi"},
					{ReasonDuckDBThreadsFromCPU, "threads 4 is the CPU limit 4 rounded down to whole cores"},
				},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := RecommendDuckDB(tc.p, tc.limits)
			if err != nil {
				t.Fatalf("RecommendDuckDB() error %v", err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("RecommendDuckDB(%+v) mismatch (-want +got):\n%s", tc.limits, d)
			}
			if err := ValidateDuckDB(got.Settings, tc.limits); err != nil {
				t.Errorf("ValidateDuckDB(recommendation) = %v, want nil", err)
			}
		})
	}
}

func TestRecommendDuckDBErrors(t *testing.T) {
	bad := DefaultPolicy()
	bad.DuckDB.MemoryFraction = 75
	tests := []struct {
		name   string
		p      Policy
		limits Resources
		want   string
	}{
		{"no limits", DefaultPolicy(), Resources{},
			"size DuckDB: container kimiclaw has no memory limit (resources.limits.memory) and no CPU limit (resources.limits.cpu); DuckDB is sized from the container's memory and CPU limits, so set them on the Deployment"},
		{"no memory", DefaultPolicy(), Resources{CPU: 1000},
			"size DuckDB: container kimiclaw has no memory limit (resources.limits.memory); DuckDB is sized from the container's memory and CPU limits, so set them on the Deployment"},
		{"no cpu", DefaultPolicy(), Resources{Memory: GiB},
			"size DuckDB: container kimiclaw has no CPU limit (resources.limits.cpu); DuckDB is sized from the container's memory and CPU limits, so set them on the Deployment"},
		{"fraction", bad, Resources{CPU: 1000, Memory: GiB},
			"size DuckDB: duckdb.memoryFraction 75 is out of range (0, 1]; 0.75 gives DuckDB 75 % of the memory limit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := RecommendDuckDB(tc.p, tc.limits)
			if err == nil || err.Error() != tc.want {
				t.Errorf("RecommendDuckDB() = %v\nwant %s", err, tc.want)
			}
		})
	}
}

func TestValidateDuckDB(t *testing.T) {
	limits := Resources{CPU: 2500, Memory: 8 * GiB}
	tests := []struct {
		name   string
		s      DuckDBSettings
		limits Resources
		want   string
	}{
		{"seed ConfigMap fits 8Gi/4", DuckDBSettings{MemoryLimit: "4GB", Threads: 4}, Resources{CPU: 4000, Memory: 8 * GiB}, ""},
		{"threads up to the CPU limit rounded up", DuckDBSettings{MemoryLimit: "8GiB", Threads: 3}, limits, ""},
		{"no limits: only DuckDB's own rules", DuckDBSettings{MemoryLimit: "64GB", Threads: 64}, Resources{}, ""},
		{"zero threads", DuckDBSettings{MemoryLimit: "4GB", Threads: 0}, limits,
			"threads 0: DuckDB needs at least 1 thread; valid: 1..3, the CPU limit 2500m rounded up"},
		{"too many threads", DuckDBSettings{MemoryLimit: "4GB", Threads: 4}, limits,
			"threads 4 exceeds the container's CPU limit 2500m; valid: 1..3, the CPU limit 2500m rounded up"},
		{"zero threads, no limit", DuckDBSettings{MemoryLimit: "4GB", Threads: -1}, Resources{},
			"threads -1: DuckDB needs at least 1 thread; valid: at least 1"},
		{"unparsable", DuckDBSettings{MemoryLimit: "4096", Threads: 2}, limits,
			`memory_limit: invalid DuckDB size "4096": no unit (DuckDB rejects a bare number); ` + validSizeUnits},
		{"zero memory", DuckDBSettings{MemoryLimit: "0GB", Threads: 2}, limits,
			`memory_limit "0GB" leaves DuckDB no memory; valid: 1B..8GiB, the container's memory limit 8Gi`},
		{"above the memory limit", DuckDBSettings{MemoryLimit: "9GB", Threads: 2}, limits,
			`memory_limit "9GB" (9000000000 bytes) exceeds the container's memory limit 8Gi (8589934592 bytes), so DuckDB would be OOM-killed before it spills; valid: 1B..8GiB, the container's memory limit 8Gi`},
		{"both wrong", DuckDBSettings{MemoryLimit: "lots", Threads: 9}, limits,
			"threads 9 exceeds the container's CPU limit 2500m; valid: 1..3, the CPU limit 2500m rounded up\n" +
				`memory_limit: invalid DuckDB size "lots": no number before the unit; ` + validSizeUnits},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateDuckDB(tc.s, tc.limits)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("ValidateDuckDB(%+v, %+v) =\n%s\nwant\n%s", tc.s, tc.limits, got, tc.want)
			}
		})
	}
}

func ExampleParseSize() {
	for _, s := range []string{"4GB", "4GiB", "3.5GB", "4 gb", "4G", "4096"} {
		b, err := ParseSize(s)
		if err != nil {
			fmt.Println(strings.SplitN(err.Error(), ";", 2)[0])
			continue
		}
		fmt.Println(s, "=", int64(b), "bytes =", FormatSize(b))
	}
	// Output:
	// 4GB = 4000000000 bytes = 4GB
	// 4GiB = 4294967296 bytes = 4GiB
	// 3.5GB = 3500000000 bytes = 3500MB
	// 4 gb = 4000000000 bytes = 4GB
	// 4G = 4000000000 bytes = 4GB
	// invalid DuckDB size "4096": no unit (DuckDB rejects a bare number)
}

func ExampleRecommendDuckDB() {
	rec, err := RecommendDuckDB(DefaultPolicy(), Resources{CPU: 2500, Memory: 6 * GiB})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("memory_limit=%s threads=%d\n", rec.Settings.MemoryLimit, rec.Settings.Threads)
	for _, r := range rec.Reasons {
		fmt.Printf("%s: %s\n", r.Code, r.Message)
	}
	// Output:
	// memory_limit=4608MiB threads=2
	// DuckDBMemoryFraction: memory_limit 4608MiB is 75 % of the memory limit 6Gi
	// DuckDBThreadsFromCPU: threads 2 is the CPU limit 2500m rounded down to whole cores
}
