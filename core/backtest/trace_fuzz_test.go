package backtest

import (
	"math"
	"strings"
	"testing"
)

// FuzzReadTrace checks that no input panics ReadTrace and that whatever it
// accepts is a usable series: at least one sample, finite values, strictly
// increasing timestamps.
func FuzzReadTrace(f *testing.F) {
	for _, s := range []string{
		"timestamp,value\n1995-07-01T04:00:00Z,42\n1995-07-01T04:01:00Z,61\n",
		"timestamp,value\n0,6135515.87712279\n300,6126975.265552814\n",
		"timestamp,value\n1700000000.5,1\n",
		"timestamp,value\n300,1\n0,2\n",
		"timestamp,value\n\"0\",\"1\"\n",
		"timestamp,value\n0,NaN\n",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		xs, err := ReadTrace(strings.NewReader(in))
		if err != nil {
			return
		}
		if len(xs) == 0 {
			t.Fatalf("ReadTrace(%q) accepted an empty series", in)
		}
		for i, s := range xs {
			if math.IsNaN(s.Value) || math.IsInf(s.Value, 0) {
				t.Fatalf("ReadTrace(%q) sample %d has value %g", in, i, s.Value)
			}
			if i > 0 && !s.At.After(xs[i-1].At) {
				t.Fatalf("ReadTrace(%q) sample %d at %s is not after %s", in, i, s.At, xs[i-1].At)
			}
		}
	})
}
