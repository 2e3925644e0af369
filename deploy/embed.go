// Package deploy ships kimiscale's Kubernetes manifests: the RBAC Roles
// (rbac.yaml) and the krew plugin manifest (krew/kimiscale.yaml). The seed's
// HPA, VPA and ConfigMap are rendered from the active policy by
// "kubectl kimiscale manifests", so they never disagree with it.
package deploy

import _ "embed"

// RBAC is deploy/rbac.yaml: the kimiscale-viewer and kimiscale-operator Roles.
//
//go:embed rbac.yaml
var RBAC []byte
