package core

import "time"

// Series is a bounded ring buffer of samples in time order. Appending to a
// full series drops the oldest sample, so memory stays constant however long
// the dashboard runs. The zero value holds nothing; use NewSeries.
type Series struct {
	buf   []Sample
	start int // index of the oldest sample
	n     int
}

// NewSeries returns a series that keeps the last capacity samples.
func NewSeries(capacity int) *Series {
	return &Series{buf: make([]Sample, max(capacity, 1))}
}

// Push appends s. A sample not newer than the last one replaces it when it has
// the same timestamp and is dropped when older, so the series stays ordered.
func (s *Series) Push(x Sample) {
	if s.n > 0 {
		last := s.at(s.n - 1)
		if x.At.Equal(last.At) {
			s.buf[(s.start+s.n-1)%len(s.buf)] = x
			return
		}
		if x.At.Before(last.At) {
			return
		}
	}
	if s.n < len(s.buf) {
		s.buf[(s.start+s.n)%len(s.buf)] = x
		s.n++
		return
	}
	s.buf[s.start] = x
	s.start = (s.start + 1) % len(s.buf)
}

// Len is the number of samples held.
func (s *Series) Len() int { return s.n }

// Cap is the most samples the series holds.
func (s *Series) Cap() int { return len(s.buf) }

// At returns the i-th oldest sample (0 is the oldest).
func (s *Series) At(i int) Sample { return s.at(i) }

func (s *Series) at(i int) Sample { return s.buf[(s.start+i)%len(s.buf)] }

// Last returns the newest sample and whether there is one.
func (s *Series) Last() (Sample, bool) {
	if s.n == 0 {
		return Sample{}, false
	}
	return s.at(s.n - 1), true
}

// Tail appends the newest n samples (fewer if the series is shorter) to dst in
// time order and returns it; pass a reused slice to avoid allocating.
func (s *Series) Tail(dst []Sample, n int) []Sample {
	n = min(n, s.n)
	for i := s.n - n; i < s.n; i++ {
		dst = append(dst, s.at(i))
	}
	return dst
}

// Since appends the samples at or after t to dst in time order and returns it.
func (s *Series) Since(dst []Sample, t time.Time) []Sample {
	// Binary search for the first sample at or after t.
	lo, hi := 0, s.n
	for lo < hi {
		mid := (lo + hi) / 2
		if s.at(mid).At.Before(t) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	for i := lo; i < s.n; i++ {
		dst = append(dst, s.at(i))
	}
	return dst
}

// History holds one Series per metric.
type History struct {
	series map[Metric]*Series
}

// NewHistory returns a history that keeps capacity samples of each metric.
func NewHistory(capacity int) *History {
	h := &History{series: make(map[Metric]*Series, 4)}
	for _, m := range Metrics() {
		h.series[m] = NewSeries(capacity)
	}
	return h
}

// Series returns the series of m; it is never nil for a known metric.
func (h *History) Series(m Metric) *Series { return h.series[m] }

// Add pushes every OK reading of a snapshot into its series.
func (h *History) Add(s Snapshot) {
	for m, r := range s.Readings {
		if r.State != ReadingOK {
			continue
		}
		if ser, ok := h.series[m]; ok {
			ser.Push(Sample{At: r.At, Value: r.Value})
		}
	}
}
