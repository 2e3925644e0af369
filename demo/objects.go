package demo

import (
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/kimiclaw/kimiscale/core"
	"github.com/kimiclaw/kimiscale/deploy"
)

// Names of the demo's objects besides the Deployment.
const (
	HPAName       = "kimiclaw-hpa"
	ConfigMapName = "duckdb-config"
	ContainerName = "kimiclaw"
	// templateHash is the pod-template-hash of the pods' ReplicaSet.
	templateHash = "7c9d5f8b6d"
)

// objects are the seed design's objects: the Deployment at replicas, its
// HPA, ConfigMap duckdb-config. Pods are created by the cluster's steps.
func objects(ns, name string, replicas int32, now time.Time) []runtime.Object {
	labels := map[string]string{"app": name}
	created := metav1.NewTime(now)
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels, Generation: 1, CreationTimestamp: created},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name:  ContainerName,
					Image: "kimiclaw/kimiclaw-db:demo",
					Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}, {Name: "metrics", ContainerPort: 9090}},
					Resources: corev1.ResourceRequirements{
						Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("4Gi")},
						Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("6Gi")},
					},
					VolumeMounts: []corev1.VolumeMount{{Name: "duckdb-config", MountPath: "/etc/duckdb"}},
				}},
					Volumes: []corev1.Volume{{Name: "duckdb-config", VolumeSource: corev1.VolumeSource{
						ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: ConfigMapName}},
					}}},
				},
			},
		},
	}
	// The seed's HPA, as "kubectl kimiscale manifests" prints it for the
	// seed policy.
	hpa := deploy.HPA(core.DefaultPolicy(), ns, name)
	hpa.CreationTimestamp = created
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: ConfigMapName, CreationTimestamp: created},
		Data:       map[string]string{"memory_limit": "4GB", "threads": "4"},
	}
	return []runtime.Object{dep, hpa, cm}
}

// podName is the name of the n-th pod the demo created.
func podName(deployment string, n int) string {
	return fmt.Sprintf("%s-%s-%05x", deployment, templateHash, n)
}

// pod is a pod of the Deployment, ready or starting.
func pod(ns, deployment, name string, created time.Time, ready bool) *corev1.Pod {
	cond := corev1.ConditionFalse
	if ready {
		cond = corev1.ConditionTrue
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ns, Name: name, CreationTimestamp: metav1.NewTime(created),
			Labels: map[string]string{"app": deployment, "pod-template-hash": templateHash},
		},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: ContainerName, Image: "kimiclaw/kimiclaw-db:demo"}}},
		Status: corev1.PodStatus{
			Phase:     corev1.PodRunning,
			StartTime: ptr.To(metav1.NewTime(created)),
			Conditions: []corev1.PodCondition{
				{Type: corev1.PodReady, Status: cond},
				{Type: corev1.ContainersReady, Status: cond},
			},
			ContainerStatuses: []corev1.ContainerStatus{{Name: ContainerName, Ready: ready, Started: ptr.To(true)}},
		},
	}
}
