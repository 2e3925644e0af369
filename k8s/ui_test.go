package k8s_test

import (
	"github.com/kimiclaw/kimiscale/k8s"
	"github.com/kimiclaw/kimiscale/ui"
)

// *k8s.Client is what cmd hands the dashboard for all four roles.
var (
	_ ui.ClusterReader = (*k8s.Client)(nil)
	_ ui.Actuator      = (*k8s.Client)(nil)
	_ ui.AccessChecker = (*k8s.Client)(nil)
	_ ui.LeaseHolder   = (*k8s.Client)(nil)
)
