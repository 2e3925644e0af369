package main

import (
	"bytes"
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/kimiclaw/kimiscale/config"
	"github.com/kimiclaw/kimiscale/core"
	"github.com/kimiclaw/kimiscale/deploy"
)

func newManifestsCmd(o *Options) *cobra.Command {
	var rbac bool
	cmd := &cobra.Command{
		Use:   "manifests",
		Short: "Render the seed's HPA, VPA and duckdb-config ConfigMap (and RBAC) from the active policy",
		Long: `Render the HorizontalPodAutoscaler, VerticalPodAutoscaler and ConfigMap duckdb-config
that the seed design deploys beside kimiclaw-db, from the active policy (--policy, or the seed),
so the HPA and kimiscale never disagree about min/max replicas, targets and behaviour.
With --rbac, the kimiscale-viewer and kimiscale-operator Roles follow.`,
		Example: `  kubectl kimiscale manifests -n db | kubectl apply -n db -f -
  kubectl kimiscale manifests --policy policy.yaml --rbac`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := refuseUnread(cmd, "renders manifests offline", "namespace", "policy", "config"); err != nil {
				return err
			}
			if err := o.Complete(cmd, nil); err != nil {
				return err
			}
			if err := o.checkNamespace(); err != nil {
				return err
			}
			p, err := o.policy()
			if err != nil {
				return err
			}
			ns := ""
			if o.configFlags.Namespace != nil {
				ns = *o.configFlags.Namespace
			}
			return writeManifests(o.streams.Out, p, ns, o.Deployment, rbac)
		},
	}
	cmd.Flags().BoolVar(&rbac, "rbac", false, "also print the RBAC Roles (deploy/rbac.yaml)")
	return cmd
}

// policy loads --policy, or returns the seed.
func (o *Options) policy() (core.Policy, error) {
	if o.PolicyPath == "" {
		return core.DefaultPolicy(), nil
	}
	return config.LoadPolicy(o.PolicyPath)
}

// writeManifests renders the seed's objects from p.
func writeManifests(w io.Writer, p core.Policy, namespace, deployment string, rbac bool) error {
	objs := []any{deploy.HPA(p, namespace, deployment), vpaManifest(p, namespace, deployment), configMapManifest(namespace)}
	var buf bytes.Buffer
	for _, obj := range objs {
		if typed, ok := obj.(runtime.Object); ok {
			u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(typed)
			if err != nil {
				return fmt.Errorf("render manifest: %w", err)
			}
			delete(u, "status") // a manifest to apply has no status
			obj = u
		}
		b, err := yaml.Marshal(obj)
		if err != nil {
			return fmt.Errorf("render manifest: %w", err)
		}
		buf.WriteString("---\n")
		buf.Write(b)
	}
	if rbac {
		buf.WriteString("---\n")
		buf.Write(deploy.RBAC)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func objectMeta(name, namespace string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:      name,
		Namespace: namespace,
		Labels:    map[string]string{"app.kubernetes.io/managed-by": "kimiscale"},
	}
}

// vpaManifest is the seed's kimiclaw-vpa; the VPA CRD has no Go types in
// client-go, so it is written as a map.
func vpaManifest(p core.Policy, namespace, deployment string) map[string]any {
	meta := map[string]any{"name": "kimiclaw-vpa", "labels": map[string]any{"app.kubernetes.io/managed-by": "kimiscale"}}
	if namespace != "" {
		meta["namespace"] = namespace
	}
	return map[string]any{
		"apiVersion": "autoscaling.k8s.io/v1",
		"kind":       "VerticalPodAutoscaler",
		"metadata":   meta,
		"spec": map[string]any{
			"targetRef":    map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "name": deployment},
			"updatePolicy": map[string]any{"updateMode": "Auto"},
			"resourcePolicy": map[string]any{"containerPolicies": []any{map[string]any{
				"containerName": "kimiclaw",
				"minAllowed":    map[string]any{"memory": quantityBytes(p.VPA.MinMemory), "cpu": quantityMilli(p.VPA.MinCPU)},
				"maxAllowed":    map[string]any{"memory": quantityBytes(p.VPA.MaxMemory), "cpu": quantityMilli(p.VPA.MaxCPU)},
			}}},
		},
	}
}

func quantityBytes(b core.Bytes) string {
	return resource.NewQuantity(int64(b), resource.BinarySI).String()
}

func quantityMilli(m core.MilliCPU) string {
	return resource.NewMilliQuantity(int64(m), resource.DecimalSI).String()
}

// configMapManifest is the seed's duckdb-config.
func configMapManifest(namespace string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: objectMeta("duckdb-config", namespace),
		Data:       map[string]string{"memory_limit": "4GB", "threads": strconv.Itoa(4)},
	}
}
