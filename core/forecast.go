package core

import (
	"errors"
	"time"
)

// ErrShortHistory is returned by a Forecaster that has too few points.
var ErrShortHistory = errors.New("not enough history to forecast")

// Forecaster predicts a series ahead of its last sample.
type Forecaster interface {
	// Name is the model's name as policies and the UI spell it.
	Name() string
	// Forecast predicts history (time-ordered, regularly spaced) from the
	// step after its last sample up to horizon ahead, with an 80 %
	// prediction interval from the model's own residuals.
	Forecast(history []Sample, horizon time.Duration) (Forecast, error)
}

// ForecastPoint is a point forecast with its 80 % interval.
type ForecastPoint struct {
	At    time.Time `json:"t"`
	Value float64   `json:"value"`
	Lower float64   `json:"lower"`
	Upper float64   `json:"upper"`
}

// Forecast is a model's prediction path.
type Forecast struct {
	Model  string          `json:"model"`
	Points []ForecastPoint `json:"points"`
}

// End is the last point of the path (the horizon), or the zero point.
func (f Forecast) End() ForecastPoint {
	if len(f.Points) == 0 {
		return ForecastPoint{}
	}
	return f.Points[len(f.Points)-1]
}
