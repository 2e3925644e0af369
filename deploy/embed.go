// Package deploy holds what kimiscale deploys beside itself: its RBAC Roles
// (rbac.yaml, embedded so "kubectl kimiscale manifests --rbac" prints them)
// and the seed's HPA built from a policy (HPA), which "kubectl kimiscale
// manifests" prints for the active policy and the demo cluster starts with,
// so the two never disagree. (The krew plugin manifest beside it,
// krew/kimiscale.yaml, is for krew and is not embedded.)
package deploy

import _ "embed"

// RBAC is deploy/rbac.yaml: the kimiscale-viewer and kimiscale-operator Roles.
//
//go:embed rbac.yaml
var RBAC []byte
