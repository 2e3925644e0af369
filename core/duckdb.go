package core

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// This file holds the two quantity languages kimiscale reads and writes, and
// the DuckDB sizing built on them:
//
//   - DuckDB size strings, as SET memory_limit takes them ("4GB", "4GiB",
//     "3.5GB", "800MB", "4 GB"): ParseSize and FormatSize.
//   - Kubernetes resource quantities, as a container's resources and a VPA's
//     bounds are written ("2Gi", "500m", "4"): Bytes and MilliCPU implement
//     json.Marshaler and json.Unmarshaler with them, so a policy file reads
//     like the manifests it describes.
//
// Both parsers use exact decimal arithmetic (math/big), never float64, so
// "3.5GB" is exactly 3 500 000 000 bytes on every machine, and both bound the
// input's length and exponent so that no input can make them slow.

// maxQuantityLen bounds the inputs both parsers accept; a longer string is
// refused before any arithmetic.
const maxQuantityLen = 64

// duckDBSpace is the white space DuckDB skips around a size's number and
// unit: ASCII only.
const duckDBSpace = " \t\n\v\f\r"

// maxSizeExponent bounds the decimal exponent ParseSize accepts ("1e3MB"):
// anything beyond it overflows or truncates to 0 bytes anyway.
const maxSizeExponent = 30

// sizeUnits are the units DuckDB's memory_limit accepts, lower-cased
// (DuckDB compares them case-insensitively): the 1000-based units with their
// one-letter and spelled-out forms, and the 1024-based KiB..TiB.
var sizeUnits = map[string]int64{
	"b": 1, "byte": 1, "bytes": 1,
	"k": 1e3, "kb": 1e3, "kilobyte": 1e3, "kilobytes": 1e3,
	"m": 1e6, "mb": 1e6, "megabyte": 1e6, "megabytes": 1e6,
	"g": 1e9, "gb": 1e9, "gigabyte": 1e9, "gigabytes": 1e9,
	"t": 1e12, "tb": 1e12, "terabyte": 1e12, "terabytes": 1e12,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}

// validSizeUnits is the sentence every ParseSize error ends with.
const validSizeUnits = "valid: a non-negative number and a unit, e.g. \"4GB\", \"4GiB\", \"3.5GB\", \"800MB\"; " +
	"units B, KB, MB, GB, TB (1000-based, also K, M, G, T) and KiB, MiB, GiB, TiB (1024-based), in any case"

// ParseSize parses a DuckDB size string as DuckDB's SET memory_limit does: a
// number (digits, an optional decimal part and an optional exponent such as
// "1e3"), optional white space, and a unit. Units are case-insensitive:
// B, KB, MB, GB, TB are 1000-based (K, M, G, T and the spelled-out
// "kilobytes" .. "terabytes" are accepted too, as DuckDB does, so "4G" is
// 4 000 000 000 bytes), and KiB, MiB, GiB, TiB are 1024-based.
//
// Like DuckDB, it rejects a bare number ("4096" has no unit) and truncates a
// fractional byte count towards zero ("1.5B" is 1 byte). Unlike DuckDB, it
// rejects a negative size (DuckDB reads "-1" as "no limit", which kimiscale
// never writes), trailing text after the unit, and sizes beyond 2^63-1 bytes.
func ParseSize(s string) (Bytes, error) {
	bad := func(why string) (Bytes, error) {
		return 0, fmt.Errorf("invalid DuckDB size %q: %s; %s", s, why, validSizeUnits)
	}
	if len(s) > maxQuantityLen {
		return 0, fmt.Errorf("invalid DuckDB size %.20q...: longer than %d characters; %s", s, maxQuantityLen, validSizeUnits)
	}
	t := strings.Trim(s, duckDBSpace)
	if t == "" {
		return bad("empty")
	}
	if t[0] == '-' {
		return bad("negative (DuckDB would read it as no limit at all)")
	}
	i := 0
	for i < len(t) && (qtyDigit(t[i]) || t[i] == '.' || t[i] == 'e' || t[i] == 'E' || t[i] == '+' || t[i] == '-') {
		// An 'e' only belongs to the number when a digit or sign follows, so
		// that "5e" is not mistaken for an exponent.
		if (t[i] == 'e' || t[i] == 'E') && !(i+1 < len(t) && (qtyDigit(t[i+1]) || t[i+1] == '-' || t[i+1] == '+')) {
			break
		}
		i++
	}
	numText, unit := t[:i], strings.TrimLeft(t[i:], duckDBSpace)
	if numText == "" {
		return bad("no number before the unit")
	}
	r, err := parseDecimal(numText, true)
	if err != nil {
		return bad(err.Error())
	}
	if unit == "" {
		return bad("no unit (DuckDB rejects a bare number)")
	}
	mult, ok := sizeUnits[strings.ToLower(unit)]
	if !ok {
		return bad(fmt.Sprintf("unknown unit %q", unit))
	}
	r.Mul(r, new(big.Rat).SetInt64(mult))
	n := new(big.Int).Quo(r.Num(), r.Denom()) // truncate toward zero, as DuckDB's cast does
	if !n.IsInt64() {
		return bad("too large (the most is 8EiB - 1 byte)")
	}
	return Bytes(n.Int64()), nil
}

// FormatSize writes b as a DuckDB size string that ParseSize (and DuckDB)
// reads back as exactly b, in the first unit that divides it of GiB, MiB,
// GB, MB, KiB, KB and B: "3GiB", "768MiB", "4GB", "800MB", "1000B". Every
// form is exact, so there is no rounding: ParseSize(FormatSize(b)) == b for
// every b >= 0. A negative b is written as a negative byte count, which
// ParseSize refuses.
func FormatSize(b Bytes) string {
	if b <= 0 {
		return fmt.Sprintf("%dB", int64(b))
	}
	for _, u := range []struct {
		size Bytes
		name string
	}{{GiB, "GiB"}, {MiB, "MiB"}, {1e9, "GB"}, {1e6, "MB"}, {KiB, "KiB"}, {1e3, "KB"}} {
		if b%u.size == 0 {
			return fmt.Sprintf("%d%s", b/u.size, u.name)
		}
	}
	return fmt.Sprintf("%dB", int64(b))
}

func qtyDigit(c byte) bool { return c >= '0' && c <= '9' }

// parseDecimal parses digits with an optional decimal part ("3", "3.5",
// ".5", "3.") and, when exp is set, an optional exponent ("1e3", "2.5E-1")
// into an exact rational. It accepts no sign, no NaN or Inf, no hex and no
// digit separators.
func parseDecimal(s string, exp bool) (*big.Rat, error) {
	mant, e := s, ""
	if exp {
		if k := strings.IndexAny(s, "eE"); k >= 0 {
			mant, e = s[:k], s[k+1:]
		}
	}
	digits := 0
	dots := 0
	for i := 0; i < len(mant); i++ {
		switch {
		case qtyDigit(mant[i]):
			digits++
		case mant[i] == '.':
			dots++
		default:
			return nil, fmt.Errorf("%q is not a number", s)
		}
	}
	if digits == 0 || dots > 1 {
		return nil, fmt.Errorf("%q is not a number", s)
	}
	r, ok := new(big.Rat).SetString(mant)
	if !ok {
		return nil, fmt.Errorf("%q is not a number", s)
	}
	if exp && strings.ContainsAny(s, "eE") {
		ev := 0
		body := strings.TrimLeft(e, "+-")
		if body == "" || len(e)-len(body) > 1 {
			return nil, fmt.Errorf("%q has an invalid exponent", s)
		}
		for i := 0; i < len(body); i++ {
			if !qtyDigit(body[i]) {
				return nil, fmt.Errorf("%q has an invalid exponent", s)
			}
			ev = ev*10 + int(body[i]-'0')
			if ev > maxSizeExponent {
				return nil, fmt.Errorf("%q has an exponent beyond ±%d", s, maxSizeExponent)
			}
		}
		p := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(ev)), nil))
		if e[0] == '-' {
			r.Quo(r, p)
		} else {
			r.Mul(r, p)
		}
	}
	return r, nil
}

// Kubernetes quantities.

// memorySuffixes are the Kubernetes suffixes a memory quantity may carry.
var memorySuffixes = map[string]int64{
	"":  1,
	"k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
	"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40,
}

const validMemoryQuantity = "valid: a Kubernetes memory quantity such as \"2Gi\", \"512Mi\", \"1.5G\" or a plain number of bytes; " +
	"suffixes Ki, Mi, Gi, Ti (1024-based) and k, M, G, T (1000-based)"

const validCPUQuantity = "valid: a Kubernetes CPU quantity such as \"500m\" (millicores), \"2\" or \"0.5\" (cores)"

// splitQuantity splits a Kubernetes quantity into its number and suffix.
func splitQuantity(s string) (numText, suffix string) {
	i := 0
	for i < len(s) && (qtyDigit(s[i]) || s[i] == '.' || s[i] == '+' || s[i] == '-') {
		i++
	}
	return s[:i], s[i:]
}

// quantityValue returns num × mult / div rounded up to a whole number, as
// Kubernetes rounds a quantity to its smallest unit.
func quantityValue(numText string, mult, div int64) (int64, error) {
	numText = strings.TrimPrefix(numText, "+")
	if strings.HasPrefix(numText, "-") {
		return 0, errors.New("negative")
	}
	r, err := parseDecimal(numText, false)
	if err != nil {
		return 0, err
	}
	r.Mul(r, big.NewRat(mult, div))
	q, m := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	if m.Sign() != 0 {
		q.Add(q, big.NewInt(1))
	}
	if !q.IsInt64() {
		return 0, errors.New("too large")
	}
	return q.Int64(), nil
}

// ParseMemoryQuantity parses a Kubernetes memory quantity ("2Gi", "512Mi",
// "1.5G", "2147483648"): a non-negative decimal number and an optional
// suffix Ki, Mi, Gi, Ti (1024-based) or k, M, G, T (1000-based). A fractional
// byte count rounds up, as Kubernetes rounds.
func ParseMemoryQuantity(s string) (Bytes, error) {
	bad := func(why string) (Bytes, error) {
		return 0, fmt.Errorf("invalid memory quantity %q: %s; %s", s, why, validMemoryQuantity)
	}
	if len(s) > maxQuantityLen {
		return 0, fmt.Errorf("invalid memory quantity %.20q...: longer than %d characters; %s", s, maxQuantityLen, validMemoryQuantity)
	}
	if s == "" {
		return bad("empty")
	}
	numText, suffix := splitQuantity(s)
	mult, ok := memorySuffixes[suffix]
	if !ok {
		switch suffix {
		case "m":
			return bad(`"m" is milli, a thousandth of a byte; for megabytes write "M" or "Mi"`)
		case "K", "KiB", "MiB", "GiB", "TiB", "KB", "MB", "GB", "TB", "B":
			return bad(fmt.Sprintf("unknown suffix %q (Kubernetes writes Ki, Mi, Gi, Ti or k, M, G, T, without B)", suffix))
		}
		return bad(fmt.Sprintf("unknown suffix %q", suffix))
	}
	if numText == "" {
		return bad("no number")
	}
	v, err := quantityValue(numText, mult, 1)
	if err != nil {
		return bad(err.Error())
	}
	return Bytes(v), nil
}

// ParseCPUQuantity parses a Kubernetes CPU quantity: cores ("2", "0.5") or
// millicores ("500m"). A fraction of a millicore rounds up, as Kubernetes
// rounds.
func ParseCPUQuantity(s string) (MilliCPU, error) {
	bad := func(why string) (MilliCPU, error) {
		return 0, fmt.Errorf("invalid CPU quantity %q: %s; %s", s, why, validCPUQuantity)
	}
	if len(s) > maxQuantityLen {
		return 0, fmt.Errorf("invalid CPU quantity %.20q...: longer than %d characters; %s", s, maxQuantityLen, validCPUQuantity)
	}
	if s == "" {
		return bad("empty")
	}
	numText, suffix := splitQuantity(s)
	var mult int64
	switch suffix {
	case "":
		mult = 1000
	case "m":
		mult = 1
	default:
		return bad(fmt.Sprintf("unknown suffix %q (CPU is cores or millicores \"m\")", suffix))
	}
	if numText == "" {
		return bad("no number")
	}
	v, err := quantityValue(numText, mult, 1)
	if err != nil {
		return bad(err.Error())
	}
	return MilliCPU(v), nil
}

// Quantity writes b as a Kubernetes quantity that ParseMemoryQuantity reads
// back exactly: in the largest binary suffix that divides it ("2Gi",
// "768Mi", "4Ki"), else in bytes ("1000").
func (b Bytes) Quantity() string {
	switch {
	case b == 0:
		return "0"
	case b > 0 && b%(1<<40) == 0:
		return fmt.Sprintf("%dTi", b/(1<<40))
	case b > 0 && b%GiB == 0:
		return fmt.Sprintf("%dGi", b/GiB)
	case b > 0 && b%MiB == 0:
		return fmt.Sprintf("%dMi", b/MiB)
	case b > 0 && b%KiB == 0:
		return fmt.Sprintf("%dKi", b/KiB)
	}
	return fmt.Sprintf("%d", int64(b))
}

// Quantity writes c as a Kubernetes quantity: whole cores ("4") when it is a
// multiple of 1000, else millicores ("500m").
func (c MilliCPU) Quantity() string {
	if c%1000 == 0 {
		return fmt.Sprintf("%d", int64(c)/1000)
	}
	return fmt.Sprintf("%dm", int64(c))
}

// MarshalJSON implements json.Marshaler: a Kubernetes quantity string
// ("2Gi").
func (b Bytes) MarshalJSON() ([]byte, error) {
	return []byte(`"` + b.Quantity() + `"`), nil
}

// UnmarshalJSON implements json.Unmarshaler. It takes a Kubernetes memory
// quantity string ("2Gi", "512Mi") or a JSON number of bytes.
func (b *Bytes) UnmarshalJSON(data []byte) error {
	s, err := quantityText(data, validMemoryQuantity)
	if err != nil {
		return err
	}
	v, err := ParseMemoryQuantity(s)
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// MarshalJSON implements json.Marshaler: a Kubernetes quantity string
// ("500m", "4").
func (c MilliCPU) MarshalJSON() ([]byte, error) {
	return []byte(`"` + c.Quantity() + `"`), nil
}

// UnmarshalJSON implements json.Unmarshaler. It takes a Kubernetes CPU
// quantity string ("500m", "2") or a JSON number of cores (4, 0.5), as a
// manifest's `cpu: 4` means four cores.
func (c *MilliCPU) UnmarshalJSON(data []byte) error {
	s, err := quantityText(data, validCPUQuantity)
	if err != nil {
		return err
	}
	v, err := ParseCPUQuantity(s)
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// quantityText returns the text of a JSON string or number holding a
// quantity.
func quantityText(data []byte, valid string) (string, error) {
	s := strings.TrimSpace(string(data))
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		u := s[1 : len(s)-1]
		if strings.ContainsAny(u, `\"`) {
			return "", fmt.Errorf("invalid quantity %s; %s", s, valid)
		}
		return u, nil
	}
	if s == "" || s == "null" || s[0] == '{' || s[0] == '[' || s == "true" || s == "false" {
		return "", fmt.Errorf("want a quantity, got %s; %s", truncText(s, 40), valid)
	}
	return s, nil
}

func truncText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// DuckDB sizing.

// Reason codes of RecommendDuckDB; each sentence names the values it used.
const (
	// ReasonDuckDBMemoryFraction: memory_limit is the policy's fraction of
	// the container's memory limit.
	ReasonDuckDBMemoryFraction ReasonCode = "DuckDBMemoryFraction"
	// ReasonDuckDBThreadsFromCPU: threads is the CPU limit rounded down.
	ReasonDuckDBThreadsFromCPU ReasonCode = "DuckDBThreadsFromCPU"
	// ReasonDuckDBAboveVPAMax: a container limit above the VPA's maxAllowed
	// was capped at it before sizing.
	ReasonDuckDBAboveVPAMax ReasonCode = "DuckDBAboveVPAMax"
	// ReasonDuckDBBelowVPAMin: a container limit is below the VPA's
	// minAllowed; sizing uses the container's own limit, never more.
	ReasonDuckDBBelowVPAMin ReasonCode = "DuckDBBelowVPAMin"
)

// DuckDBRecommendation is what RecommendDuckDB proposes for ConfigMap
// duckdb-config, and why.
type DuckDBRecommendation struct {
	// Settings are the values to write: MemoryLimit as FormatSize writes it
	// ("6GiB"), Threads.
	Settings DuckDBSettings `json:"settings"`
	// MemoryLimit is Settings.MemoryLimit in bytes.
	MemoryLimit Bytes `json:"memoryLimitBytes"`
	// Basis is the container limits the sizing used, after the VPA bounds.
	Basis Resources `json:"basis"`
	// Reasons explain each value, in order: memory, then threads.
	Reasons []Reason `json:"reasons"`
}

// RecommendDuckDB sizes DuckDB for container kimiclaw from its limits:
//
//  1. The basis is each limit capped at the VPA's maxAllowed, since the VPA
//     will not let the container grow beyond it. A limit below the VPA's
//     minAllowed is not raised: DuckDB cannot use memory or CPU the
//     container does not have, so the sizing stays inside the container's
//     own limit and a reason says the VPA has not caught up.
//  2. memory_limit = Policy.DuckDB.MemoryFraction (seed 0.75) of the memory
//     basis, rounded down to a whole MiB (to a whole byte below 1 MiB), so
//     it is never above the fraction and reads well ("6GiB", "2304MiB").
//  3. threads = the CPU basis in whole cores, rounded down, at least 1.
//
// Both limits must be set: a container without them gives DuckDB nothing
// to size from, and the error names what is missing. The result passes
// ValidateDuckDB against the same limits.
func RecommendDuckDB(p Policy, limits Resources) (DuckDBRecommendation, error) {
	var missing []string
	if limits.Memory <= 0 {
		missing = append(missing, "memory limit (resources.limits.memory)")
	}
	if limits.CPU <= 0 {
		missing = append(missing, "CPU limit (resources.limits.cpu)")
	}
	if len(missing) > 0 {
		return DuckDBRecommendation{}, fmt.Errorf("size DuckDB: container kimiclaw has no %s; DuckDB is sized from the container's memory and CPU limits, so set them on the Deployment",
			strings.Join(missing, " and no "))
	}
	f := p.DuckDB.MemoryFraction
	if !(f > 0 && f <= 1) {
		return DuckDBRecommendation{}, fmt.Errorf("size DuckDB: duckdb.memoryFraction %v is out of range (0, 1]; 0.75 gives DuckDB 75 %% of the memory limit", f)
	}
	var rec DuckDBRecommendation
	basis := limits
	var vpaReasons []Reason
	if p.VPA.MaxMemory > 0 && basis.Memory > p.VPA.MaxMemory {
		vpaReasons = append(vpaReasons, Reason{ReasonDuckDBAboveVPAMax, fmt.Sprintf(
			"the memory limit %s is above the VPA maximum %s; sizing from %s", limits.Memory.Quantity(), p.VPA.MaxMemory.Quantity(), p.VPA.MaxMemory.Quantity())})
		basis.Memory = p.VPA.MaxMemory
	}
	if p.VPA.MinMemory > 0 && limits.Memory < p.VPA.MinMemory {
		vpaReasons = append(vpaReasons, Reason{ReasonDuckDBBelowVPAMin, fmt.Sprintf(
			"the memory limit %s is below the VPA minimum %s; sizing from the container's own limit, since DuckDB cannot use memory the container does not have",
			limits.Memory.Quantity(), p.VPA.MinMemory.Quantity())})
	}
	if p.VPA.MaxCPU > 0 && basis.CPU > p.VPA.MaxCPU {
		vpaReasons = append(vpaReasons, Reason{ReasonDuckDBAboveVPAMax, fmt.Sprintf(
			"the CPU limit %s is above the VPA maximum %s; sizing from %s", limits.CPU.Quantity(), p.VPA.MaxCPU.Quantity(), p.VPA.MaxCPU.Quantity())})
		basis.CPU = p.VPA.MaxCPU
	}
	if p.VPA.MinCPU > 0 && limits.CPU < p.VPA.MinCPU {
		vpaReasons = append(vpaReasons, Reason{ReasonDuckDBBelowVPAMin, fmt.Sprintf(
			"the CPU limit %s is below the VPA minimum %s; sizing from the container's own limit",
			limits.CPU.Quantity(), p.VPA.MinCPU.Quantity())})
	}
	rec.Basis = basis

	// Exact: basis × the fraction as its user wrote it (0.7 is 7/10, not the
	// float just below it, which would lose a MiB), floored.
	fr, ok := new(big.Rat).SetString(strconv.FormatFloat(f, 'g', -1, 64))
	if !ok {
		fr = new(big.Rat).SetFloat64(f)
	}
	mem := new(big.Rat).Mul(new(big.Rat).SetInt64(int64(basis.Memory)), fr)
	m := Bytes(new(big.Int).Quo(mem.Num(), mem.Denom()).Int64())
	if m >= MiB {
		m = m / MiB * MiB
	}
	if m < 1 {
		return DuckDBRecommendation{}, fmt.Errorf("size DuckDB: %v of the memory limit %s is less than 1 byte", f, basis.Memory.Quantity())
	}
	threads := max(int(basis.CPU/1000), 1)

	rec.MemoryLimit = m
	rec.Settings = DuckDBSettings{MemoryLimit: FormatSize(m), Threads: threads}
	rec.Reasons = append(rec.Reasons, vpaReasons...)
	rec.Reasons = append(rec.Reasons, Reason{ReasonDuckDBMemoryFraction, fmt.Sprintf(
		"memory_limit %s is %s of the memory limit %s", rec.Settings.MemoryLimit, percentText(f), basis.Memory.Quantity())})
	tr := fmt.Sprintf("threads %d is the CPU limit %s rounded down to whole cores", threads, basis.CPU.Quantity())
	if basis.CPU < 1000 {
		tr = fmt.Sprintf("threads 1: the CPU limit %s is under one core, and DuckDB needs at least 1 thread", basis.CPU.Quantity())
	}
	rec.Reasons = append(rec.Reasons, Reason{ReasonDuckDBThreadsFromCPU, tr})
	return rec, nil
}

// percentText writes a fraction as a percentage: 0.75 → "75 %".
func percentText(f float64) string {
	return fmt.Sprintf("%s %%", strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.4f", f*100), "0"), "."))
}

// ValidateDuckDB reports every value of s that DuckDB would reject or that
// does not fit the container's limits, each error naming the value and the
// valid range: threads below 1 or above the CPU limit rounded up,
// memory_limit that does not parse, is zero, or exceeds the memory limit. A
// limit that is not set (zero) is not checked against.
func ValidateDuckDB(s DuckDBSettings, limits Resources) error {
	var errs []error
	maxThreads := 0
	if limits.CPU > 0 {
		maxThreads = int((limits.CPU + 999) / 1000)
	}
	threadRange := "valid: at least 1"
	if maxThreads > 0 {
		threadRange = fmt.Sprintf("valid: 1..%d, the CPU limit %s rounded up", maxThreads, limits.CPU.Quantity())
	}
	switch {
	case s.Threads < 1:
		errs = append(errs, fmt.Errorf("threads %d: DuckDB needs at least 1 thread; %s", s.Threads, threadRange))
	case maxThreads > 0 && s.Threads > maxThreads:
		errs = append(errs, fmt.Errorf("threads %d exceeds the container's CPU limit %s; %s", s.Threads, limits.CPU.Quantity(), threadRange))
	}
	memRange := "valid: more than 0 bytes"
	if limits.Memory > 0 {
		memRange = fmt.Sprintf("valid: 1B..%s, the container's memory limit %s", FormatSize(limits.Memory), limits.Memory.Quantity())
	}
	m, err := ParseSize(s.MemoryLimit)
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("memory_limit: %w", err))
	case m == 0:
		errs = append(errs, fmt.Errorf("memory_limit %q leaves DuckDB no memory; %s", s.MemoryLimit, memRange))
	case limits.Memory > 0 && m > limits.Memory:
		errs = append(errs, fmt.Errorf("memory_limit %q (%d bytes) exceeds the container's memory limit %s (%d bytes), so DuckDB would be OOM-killed before it spills; %s",
			s.MemoryLimit, int64(m), limits.Memory.Quantity(), int64(limits.Memory), memRange))
	}
	return errors.Join(errs...)
}

// finiteFloat reports whether f is neither NaN nor infinite.
func finiteFloat(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
