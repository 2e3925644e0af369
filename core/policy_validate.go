package core

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Limits of a valid policy. They are wide enough for any real kimiclaw-db
// and narrow enough to catch a typo ("maxReplicas: 10000", "period: 5h").
const (
	// MaxReplicasCap is the largest minReplicas, maxReplicas or step a
	// policy may name.
	MaxReplicasCap = 1000
	// MaxUtilization is the largest utilization threshold: 10 is 1000 % of
	// the pods' requests (limits may exceed requests, so 1 is not the cap).
	MaxUtilization = 10
	// MaxScalingPeriod is the longest rate-policy period (Kubernetes: 1800 s).
	MaxScalingPeriod = 30 * time.Minute
	// MaxStabilizationWindow is the longest stabilization window
	// (Kubernetes: 3600 s).
	MaxStabilizationWindow = time.Hour
	// MaxForecastHorizon is the furthest a forecast may look ahead.
	MaxForecastHorizon = time.Hour
	// MaxVPACPU is the largest VPA CPU bound: 1024 cores, more than any node.
	MaxVPACPU MilliCPU = 1024 * 1000
	// MinVPAMemory is the smallest VPA memory bound that makes sense for a
	// container; a smaller one is almost always a number written without
	// its unit.
	MinVPAMemory = MiB
)

// FieldError is one problem of a policy, at a field path written as in the
// policy file: JSON names and list indexes, e.g. "metrics[2].scaleDownBelow".
// Msg says what is wrong and what is valid.
type FieldError struct {
	// Path is the field as the file writes it, e.g. "vpa.maxCPU".
	Path string
	// Context, when set, names what Path is about (the metric of a rule);
	// it is printed in parentheses after the path.
	Context string
	// Msg says what is wrong with the value and what is valid.
	Msg string
}

// Error implements error: "path: message" or "path (context): message".
func (e *FieldError) Error() string {
	if e.Context != "" {
		return e.Path + " (" + e.Context + "): " + e.Msg
	}
	return e.Path + ": " + e.Msg
}

type policyChecker struct{ errs []error }

func (v *policyChecker) add(path, format string, args ...any) {
	v.errs = append(v.errs, &FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
}

// fnum writes a float as a user wrote it: 0.7, 70, 8000.
func fnum(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// Validate reports every inconsistency of p at once (errors.Join of
// *FieldError), so a policy file can be fixed in one go. Each error names
// the field as written in the file and the valid range:
//
//   - minReplicas in 1..MaxReplicasCap, maxReplicas in minReplicas..MaxReplicasCap;
//   - metrics: at least one; each name one of cpu, memory, qps, connections,
//     listed at most once; scaleDownBelow below scaleUpAbove; for cpu and
//     memory both thresholds fractions of the pods' requests in (0, 10]
//     (0.70 means 70 %; a value such as 70 is reported as a percentage
//     written by mistake); for qps and connections scaleUpAbove > 0,
//     scaleDownBelow >= 0 and an aggregation perReplica or total; steps in
//     1..MaxReplicasCap;
//   - tolerance in [0, 1);
//   - behavior.scaleUp and .scaleDown: stabilizationWindow in [0, 1h];
//     selectPolicy Max, Min or Disabled (empty means Max); at least one
//     policy unless Disabled, each of type Pods or Percent, value >= 1,
//     period in (0, 30m];
//   - forecast: model linear, holt, holt-winters or auto; points >= 2;
//     horizon in (0, 1h]; threshold in (0, 10]; season >= horizon;
//   - cooldown windows >= 0;
//   - duckdb.memoryFraction in (0, 1];
//   - vpa: each bound positive, min <= max, memory at least 1Mi, CPU at most
//     1024 cores;
//   - staleAfterIntervals >= 1.
func (p Policy) Validate() error {
	v := &policyChecker{}
	p.validateReplicas(v)
	p.validateRules(v)
	if !finiteFloat(p.Tolerance) || p.Tolerance < 0 || p.Tolerance >= 1 {
		v.add("tolerance", "%s is out of range; valid: [0, 1), the band around a usage ratio of 1 inside which nothing scales (Kubernetes: 0.1)", fnum(p.Tolerance))
	}
	validateScalingRules(v, "behavior.scaleUp", p.Behavior.ScaleUp)
	validateScalingRules(v, "behavior.scaleDown", p.Behavior.ScaleDown)
	p.validateForecast(v)
	if p.Cooldown.AfterScaleUp < 0 {
		v.add("cooldown.afterScaleUp", "%s is negative; valid: 0s or more (seed: 5m)", p.Cooldown.AfterScaleUp)
	}
	if p.Cooldown.AfterScaleDown < 0 {
		v.add("cooldown.afterScaleDown", "%s is negative; valid: 0s or more (seed: 10m)", p.Cooldown.AfterScaleDown)
	}
	if f := p.DuckDB.MemoryFraction; !finiteFloat(f) || f <= 0 || f > 1 {
		msg := fmt.Sprintf("%s is out of range; valid: (0, 1], the fraction of the container's memory limit given to DuckDB (0.75 means 75 %%)", fnum(f))
		if f >= 10 && f <= 100 {
			msg += fmt.Sprintf("; %s looks like a percentage: did you mean %s?", fnum(f), fnum(f/100))
		}
		v.add("duckdb.memoryFraction", "%s", msg)
	}
	p.validateVPA(v)
	if p.StaleAfter < 1 {
		v.add("staleAfterIntervals", "%d is too small; valid: 1 or more poll intervals (seed: 3)", p.StaleAfter)
	}
	return errors.Join(v.errs...)
}

func (p Policy) validateReplicas(v *policyChecker) {
	minOK := p.MinReplicas >= 1 && p.MinReplicas <= MaxReplicasCap
	if !minOK {
		v.add("minReplicas", "%d is out of range; valid: 1..%d", p.MinReplicas, MaxReplicasCap)
	}
	switch {
	case p.MaxReplicas < 1 || p.MaxReplicas > MaxReplicasCap:
		v.add("maxReplicas", "%d is out of range; valid: 1..%d", p.MaxReplicas, MaxReplicasCap)
	case minOK && p.MaxReplicas < p.MinReplicas:
		v.add("maxReplicas", "%d is below minReplicas %d; valid: %d..%d", p.MaxReplicas, p.MinReplicas, p.MinReplicas, MaxReplicasCap)
	}
}

func (p Policy) validateRules(v *policyChecker) {
	if len(p.Rules) == 0 {
		v.add("metrics", "empty; valid: a list of at least one of cpu, memory, qps, connections")
		return
	}
	seen := map[Metric]int{}
	for i, r := range p.Rules {
		path := fmt.Sprintf("metrics[%d]", i)
		known := r.Metric.Valid()
		switch {
		case !known:
			msg := fmt.Sprintf("%q is not a known metric; valid: cpu, memory, qps, connections", r.Metric)
			if Metric(strings.ToLower(string(r.Metric))).Valid() {
				msg += fmt.Sprintf("; did you mean %q?", strings.ToLower(string(r.Metric)))
			}
			v.add(path+".name", "%s", msg)
		default:
			if first, dup := seen[r.Metric]; dup {
				v.add(path+".name", "%q is listed twice (first at metrics[%d]); valid: each metric at most once", r.Metric, first)
			} else {
				seen[r.Metric] = i
			}
		}
		upOK := validateThreshold(v, path+".scaleUpAbove", r.Metric, r.Up, true)
		downOK := validateThreshold(v, path+".scaleDownBelow", r.Metric, r.Down, false)
		if upOK && downOK && !(r.Down < r.Up) {
			v.errs = append(v.errs, &FieldError{Path: path, Context: string(r.Metric), Msg: fmt.Sprintf(
				"scaleDownBelow %s must be below scaleUpAbove %s; valid: scaleDownBelow < scaleUpAbove, with a gap between them so the two rules never both fire",
				fnum(r.Down), fnum(r.Up))})
		}
		if r.StepUp < 1 || r.StepUp > MaxReplicasCap {
			v.add(path+".stepUp", "%d is out of range; valid: 1..%d replicas added when the rule fires", r.StepUp, MaxReplicasCap)
		}
		if r.StepDown < 1 || r.StepDown > MaxReplicasCap {
			v.add(path+".stepDown", "%d is out of range; valid: 1..%d replicas removed when the rule fires", r.StepDown, MaxReplicasCap)
		}
		switch {
		case !known:
		case r.Metric.Utilization():
			if r.Aggregation != "" {
				v.add(path+".aggregation", "%q does not apply to %s, which is always utilization of the pods' requests; valid: no aggregation (remove the key)", r.Aggregation, r.Metric)
			}
		case r.Aggregation != PerReplica && r.Aggregation != Total:
			v.add(path+".aggregation", "%q is not known; valid: perReplica (the value per ready replica, as the HPA's AverageValue) or total", r.Aggregation)
		}
	}
}

// validateThreshold checks one threshold and reports whether it is valid.
func validateThreshold(v *policyChecker, path string, m Metric, f float64, up bool) bool {
	if !finiteFloat(f) {
		v.add(path, "%s is not a finite number", fnum(f))
		return false
	}
	if m.Utilization() {
		if f > 0 && f <= MaxUtilization {
			return true
		}
		msg := fmt.Sprintf("%s is out of range; valid: (0, %d], a fraction of the pods' requests (0.70 means 70 %%)", fnum(f), MaxUtilization)
		if f > MaxUtilization && f <= 100*MaxUtilization {
			msg += fmt.Sprintf("; %s looks like a percentage: did you mean %s?", fnum(f), fnum(f/100))
		}
		v.add(path, "%s", msg)
		return false
	}
	if up && f <= 0 {
		v.add(path, "%s is out of range; valid: more than 0 (a rate or count, per replica or total as aggregation says)", fnum(f))
		return false
	}
	if !up && f < 0 {
		v.add(path, "%s is negative; valid: 0 or more (a rate or count, per replica or total as aggregation says)", fnum(f))
		return false
	}
	return true
}

func validateScalingRules(v *policyChecker, path string, r ScalingRules) {
	if w := r.StabilizationWindow.D(); w < 0 || w > MaxStabilizationWindow {
		v.add(path+".stabilizationWindow", "%s is out of range; valid: 0s..%s", w, MaxStabilizationWindow)
	}
	switch r.SelectPolicy {
	case "", SelectMax, SelectMin, SelectDisabled:
	default:
		v.add(path+".selectPolicy", "%q is not known; valid: Max, Min or Disabled (empty means Max)", r.SelectPolicy)
	}
	if len(r.Policies) == 0 && r.SelectPolicy != SelectDisabled {
		v.add(path+".policies", "empty; valid: at least one policy (type Pods or Percent, value, period), or selectPolicy: Disabled to forbid this direction")
	}
	for i, sp := range r.Policies {
		pp := fmt.Sprintf("%s.policies[%d]", path, i)
		if sp.Type != PodsPolicy && sp.Type != PercentPolicy {
			v.add(pp+".type", "%q is not known; valid: Pods or Percent", sp.Type)
		}
		if sp.Value < 1 {
			v.add(pp+".value", "%d is too small; valid: 1 or more (pods, or percent of the current replicas)", sp.Value)
		}
		if d := sp.Period.D(); d <= 0 || d > MaxScalingPeriod {
			v.add(pp+".period", "%s is out of range; valid: more than 0s, at most %s", d, MaxScalingPeriod)
		}
	}
}

func (p Policy) validateForecast(v *policyChecker) {
	f := p.Forecast
	if !slices.Contains(ModelNames(), f.Model) {
		v.add("forecast.model", "%q is not known; valid: %s", f.Model, strings.Join(ModelNames(), ", "))
	}
	if f.Points < 2 {
		v.add("forecast.points", "%d is too few; valid: 2 or more history points (seed: 10)", f.Points)
	}
	hOK := f.Horizon > 0 && f.Horizon.D() <= MaxForecastHorizon
	if !hOK {
		v.add("forecast.horizon", "%s is out of range; valid: more than 0s, at most %s (seed: 5m)", f.Horizon, MaxForecastHorizon)
	}
	if t := f.Threshold; !finiteFloat(t) || t <= 0 || t > MaxUtilization {
		msg := fmt.Sprintf("%s is out of range; valid: (0, %d], a forecast CPU utilization as a fraction of requests (0.8 means 80 %%)", fnum(t), MaxUtilization)
		if t > MaxUtilization && t <= 100*MaxUtilization {
			msg += fmt.Sprintf("; %s looks like a percentage: did you mean %s?", fnum(t), fnum(t/100))
		}
		v.add("forecast.threshold", "%s", msg)
	}
	switch {
	case f.Season <= 0:
		v.add("forecast.season", "%s is out of range; valid: more than 0s and at least forecast.horizon (default 24h)", f.Season)
	case hOK && f.Season < f.Horizon:
		v.add("forecast.season", "%s is shorter than forecast.horizon %s; valid: at least the horizon (default 24h)", f.Season, f.Horizon)
	}
}

func (p Policy) validateVPA(v *policyChecker) {
	memOK := func(path string, b Bytes) bool {
		switch {
		case b <= 0:
			v.add(path, "%s is not positive; valid: a memory quantity of at least %s such as \"2Gi\"", b.Quantity(), MinVPAMemory.Quantity())
		case b < MinVPAMemory:
			v.add(path, "%s (%d bytes) is too small for a container; valid: at least %s; a plain number is bytes, write e.g. \"2Gi\"", b.Quantity(), int64(b), MinVPAMemory.Quantity())
		default:
			return true
		}
		return false
	}
	cpuOK := func(path string, c MilliCPU) bool {
		switch {
		case c <= 0:
			v.add(path, "%s is not positive; valid: a CPU quantity such as \"500m\" or \"4\", at most %s", c.Quantity(), MaxVPACPU.Quantity())
		case c > MaxVPACPU:
			v.add(path, "%s (%d cores) is more than any node has; valid: at most %s cores; a plain number is cores, write \"500m\" for half a core", c.Quantity(), int64(c)/1000, MaxVPACPU.Quantity())
		default:
			return true
		}
		return false
	}
	b := p.VPA
	minM, maxM := memOK("vpa.minMemory", b.MinMemory), memOK("vpa.maxMemory", b.MaxMemory)
	if minM && maxM && b.MinMemory > b.MaxMemory {
		v.add("vpa.maxMemory", "%s is below vpa.minMemory %s; valid: at least the minimum", b.MaxMemory.Quantity(), b.MinMemory.Quantity())
	}
	minC, maxC := cpuOK("vpa.minCPU", b.MinCPU), cpuOK("vpa.maxCPU", b.MaxCPU)
	if minC && maxC && b.MinCPU > b.MaxCPU {
		msg := fmt.Sprintf("%s is below vpa.minCPU %s; valid: at least the minimum", b.MaxCPU.Quantity(), b.MinCPU.Quantity())
		if b.MinCPU >= 100*1000 {
			msg += fmt.Sprintf("; vpa.minCPU %s is %d cores: a plain number is cores, write \"%dm\" for millicores", b.MinCPU.Quantity(), int64(b.MinCPU)/1000, int64(b.MinCPU)/1000)
		}
		v.add("vpa.maxCPU", "%s", msg)
	}
}

// DecodePolicy reads a policy from JSON (a YAML file converted to JSON, see
// package config) and validates it.
//
// Decoding starts from DefaultPolicy(): a field the data does not give keeps
// the seed's value, so a file may hold only what it changes. A list that is
// given replaces the seed's list as a whole: "metrics" is the complete rule
// table (a metric left out is not used), and a direction's
// "behavior.*.policies" are its complete rate policies. A qps or
// connections rule without "aggregation" is perReplica, as in the seed.
//
// The data must be one JSON object. Keys match exactly (case-sensitive); an
// unknown key is an error naming its path and the keys valid there. A null
// value is an error (remove the key to keep the seed's value). Memory
// quantities take Kubernetes forms ("2Gi", "512Mi"), CPU quantities "500m"
// or cores, and durations Go forms ("60s", "5m"). Every problem found is
// reported at once, as *FieldError values joined with errors.Join.
func DecodePolicy(data []byte) (Policy, error) {
	t := bytes.TrimSpace(data)
	if len(t) == 0 {
		return Policy{}, errors.New("policy is empty; valid: an object of the fields to change, e.g. {\"maxReplicas\": 12}")
	}
	dec := json.NewDecoder(bytes.NewReader(t))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return Policy{}, fmt.Errorf("policy is not valid JSON: %w", err)
	}
	if _, err := dec.Token(); err == nil {
		return Policy{}, errors.New("policy has data after its object; valid: exactly one object")
	}
	if _, ok := raw.(map[string]any); !ok {
		return Policy{}, fmt.Errorf("policy is %s; valid: an object of fields such as minReplicas, metrics, behavior", describeJSON(raw))
	}
	p := DefaultPolicy()
	var errs []error
	checkJSON("", reflect.ValueOf(&p).Elem(), raw, &errs)
	if len(errs) > 0 {
		return Policy{}, errors.Join(errs...)
	}
	// The check above matched every key exactly, reset every list the data
	// gives (so it replaces the seed's), and type-checked every value; what
	// remains is the standard decoder filling the values in.
	d := json.NewDecoder(bytes.NewReader(t))
	d.DisallowUnknownFields()
	if err := d.Decode(&p); err != nil {
		return Policy{}, fmt.Errorf("decode policy: %w", err)
	}
	for i, r := range p.Rules {
		if !r.Metric.Utilization() && r.Metric.Valid() && r.Aggregation == "" {
			p.Rules[i].Aggregation = PerReplica
		}
	}
	if err := p.Validate(); err != nil {
		return Policy{}, err
	}
	return p, nil
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

func jsonPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// describeJSON names a generic JSON value for an error message.
func describeJSON(raw any) string {
	switch x := raw.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case string:
		return strconv.Quote(truncText(x, 40))
	case json.Number:
		return truncText(x.String(), 40)
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprintf("%v", raw)
}

// jsonFields lists a struct type's fields by JSON name.
func jsonFields(t reflect.Type) map[string]int {
	out := map[string]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = i
	}
	return out
}

// checkJSON matches the generic JSON value raw against the Go value v at
// path: keys exactly, types, nulls. It resets every slice raw gives, so the
// decoder that follows replaces the seed's list instead of merging into its
// elements, and it runs the custom decoders (durations, quantities) so their
// errors carry the path.
func checkJSON(path string, v reflect.Value, raw any, errs *[]error) {
	fail := func(format string, args ...any) {
		*errs = append(*errs, &FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	if raw == nil {
		fail("empty (null); give a value, or remove the key to keep the seed's value")
		return
	}
	if reflect.PointerTo(v.Type()).Implements(unmarshalerType) {
		b, err := json.Marshal(raw)
		if err == nil {
			err = v.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(b)
		}
		if err != nil {
			fail("%s", err)
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		fields := jsonFields(v.Type())
		names := make([]string, 0, len(fields))
		for n := range fields {
			names = append(names, n)
		}
		sort.Strings(names)
		m, ok := raw.(map[string]any)
		if !ok {
			fail("want an object with keys %s, got %s", strings.Join(names, ", "), describeJSON(raw))
			return
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			i, ok := fields[k]
			if !ok {
				msg := "unknown key; valid keys here: " + strings.Join(names, ", ")
				if s := closestKey(k, names); s != "" {
					msg += fmt.Sprintf("; did you mean %q?", s)
				}
				*errs = append(*errs, &FieldError{Path: jsonPath(path, k), Msg: msg})
				continue
			}
			checkJSON(jsonPath(path, k), v.Field(i), m[k], errs)
		}
	case reflect.Slice:
		arr, ok := raw.([]any)
		if !ok {
			fail("want a list, got %s", describeJSON(raw))
			return
		}
		v.Set(reflect.MakeSlice(v.Type(), len(arr), len(arr)))
		for i, e := range arr {
			checkJSON(fmt.Sprintf("%s[%d]", path, i), v.Index(i), e, errs)
		}
	case reflect.String:
		if _, ok := raw.(string); !ok {
			fail("want a string, got %s", describeJSON(raw))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := raw.(json.Number)
		if !ok {
			fail("want a whole number, got %s", describeJSON(raw))
			return
		}
		if _, err := strconv.ParseInt(n.String(), 10, v.Type().Bits()); err != nil {
			if errors.Is(err, strconv.ErrRange) {
				fail("%s is out of range", describeJSON(raw))
			} else {
				fail("want a whole number, got %s", describeJSON(raw))
			}
		}
	case reflect.Float32, reflect.Float64:
		switch x := raw.(type) {
		case json.Number:
			if _, err := strconv.ParseFloat(x.String(), v.Type().Bits()); err != nil {
				fail("%s is out of range", describeJSON(raw))
			}
		case string:
			msg := fmt.Sprintf("want a number, got %s", describeJSON(raw))
			if f, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(x), "%")), 64); err == nil && strings.HasSuffix(strings.TrimSpace(x), "%") {
				msg += fmt.Sprintf("; write a fraction without %%: %s for %s", fnum(f/100), strings.TrimSpace(x))
			}
			fail("%s", msg)
		default:
			fail("want a number, got %s", describeJSON(raw))
		}
	default:
		fail("cannot be set from a policy file")
	}
}

// closestKey returns the candidate nearest to s (case-insensitive equality, or
// an edit distance of at most 2), or "".
func closestKey(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if strings.EqualFold(s, c) {
			return c
		}
		if d := keyDistance(strings.ToLower(s), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// keyDistance is the Levenshtein distance between a and b; it gives up
// (returns a large value) for long inputs.
func keyDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 30
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
