package core

import (
	"encoding/binary"
	"math"
	"testing"
	"time"
)

// FuzzForecast feeds every model arbitrary values (including NaN, ±Inf and
// extremes) on a 15-minute grid with a 2-hour season. A model may refuse the
// history with an error but must never panic, and a forecast it returns has
// one point per step with Lower ≤ Value ≤ Upper and no NaN.
func FuzzForecast(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, uint8(4))
	f.Add(make([]byte, 8*40), uint8(1))
	f.Fuzz(func(t *testing.T, raw []byte, steps uint8) {
		n := min(len(raw)/8, 400)
		xs := make([]Sample, n)
		for i := range xs {
			v := math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
			xs[i] = Sample{At: fcEpoch.Add(time.Duration(i) * 15 * time.Minute), Value: v}
		}
		horizon := time.Duration(int(steps)%12+1) * 15 * time.Minute
		for _, m := range allModels() {
			fc, err := m.Forecast(xs, horizon)
			if err != nil {
				continue
			}
			if want := int(horizon / (15 * time.Minute)); len(fc.Points) != want {
				t.Fatalf("%s: %d points, want %d", m.Name(), len(fc.Points), want)
			}
			for _, p := range fc.Points {
				if math.IsNaN(p.Value) || math.IsNaN(p.Lower) || math.IsNaN(p.Upper) || p.Lower > p.Value || p.Value > p.Upper {
					t.Fatalf("%s: point %+v, want Lower ≤ Value ≤ Upper and no NaN", m.Name(), p)
				}
			}
		}
	})
}
