// Package deploy ships kimiscale's RBAC Roles (rbac.yaml) to the binary, so
// "kubectl kimiscale manifests --rbac" prints them. (The krew plugin manifest
// beside it, krew/kimiscale.yaml, is for krew and is not embedded.) The seed's
// HPA, VPA and ConfigMap are rendered from the active policy by
// "kubectl kimiscale manifests", so they never disagree with it.
package deploy

import _ "embed"

// RBAC is deploy/rbac.yaml: the kimiscale-viewer and kimiscale-operator Roles.
//
//go:embed rbac.yaml
var RBAC []byte
