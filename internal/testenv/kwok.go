package testenv

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
)

// KwokNodeName is the fake node that kwok runs pods on when
// KubeOptions.Controllers is set. It has 32 CPUs, 128 GiB and room for 110
// pods, and no taints once it is Ready.
const KwokNodeName = "kwok-node-0"

// kwokNodeAnnotation marks the nodes this kwok manages.
const kwokNodeAnnotation = "kwok.x-k8s.io/node"

// startControllers starts kube-controller-manager, kube-scheduler and kwok,
// registers the fake node, and waits until the node is Ready and untainted
// and the controller-manager has made the default ServiceAccount.
func (k *Kube) startControllers() error {
	kubeconfig := k.Kubeconfig(AdminUser)
	k.controllerManager = &process{
		name:    "kube-controller-manager",
		path:    k.bins.controllerManager,
		logPath: filepath.Join(k.dir, "kube-controller-manager.log"),
		args: append([]string{
			"--kubeconfig", kubeconfig,
			"--controllers", strings.Join(append(DefaultControllers(), k.opts.ExtraControllers...), ","),
			"--secure-port", "0",
			"--leader-elect=false",
			"--horizontal-pod-autoscaler-sync-period", cmp.Or(k.opts.HPASyncPeriod, 2*time.Second).String(),
		}, k.opts.ControllerManagerFlags...),
	}
	k.scheduler = &process{
		name:    "kube-scheduler",
		path:    k.bins.scheduler,
		logPath: filepath.Join(k.dir, "kube-scheduler.log"),
		args: []string{
			"--kubeconfig", kubeconfig,
			"--secure-port", "0",
			"--leader-elect=false",
		},
	}
	kwokArgs := []string{
		"--kubeconfig", kubeconfig,
		"--manage-nodes-with-annotation-selector", kwokNodeAnnotation + "=fake",
	}
	for _, s := range k.bins.kwokStages {
		kwokArgs = append(kwokArgs, "--config", s)
	}
	k.kwok = &process{
		name:    "kwok",
		path:    k.bins.kwok,
		logPath: filepath.Join(k.dir, "kwok.log"),
		args:    kwokArgs,
		// kwok also reads ~/.kwok/kwok.yaml when it exists; keep the
		// developer's own configuration out of the tests.
		env: []string{"HOME=" + filepath.Join(k.dir, "kwok-home")},
	}

	client, err := kubernetes.NewForConfig(k.Config(AdminUser))
	if err != nil {
		return fmt.Errorf("clientset: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), k.timeout)
	defer cancel()
	if _, err := client.CoreV1().Nodes().Create(ctx, fakeNode(), metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create node %s: %w", KwokNodeName, err)
	}
	for _, p := range []*process{k.controllerManager, k.scheduler, k.kwok} {
		if err := p.start(); err != nil {
			return err
		}
	}
	if err := k.waitControllers(ctx, "node "+KwokNodeName+" Ready", func(ctx context.Context) error {
		return untaintReadyNode(ctx, client)
	}); err != nil {
		return err
	}
	return k.waitControllers(ctx, "ServiceAccount default/default from kube-controller-manager", func(ctx context.Context) error {
		_, err := client.CoreV1().ServiceAccounts(metav1.NamespaceDefault).Get(ctx, "default", metav1.GetOptions{})
		return err
	})
}

// waitControllers polls check until it succeeds, a controller process exits
// or ctx ends.
func (k *Kube) waitControllers(ctx context.Context, what string, check func(ctx context.Context) error) error {
	for {
		err := check(ctx)
		if err == nil {
			return nil
		}
		for _, p := range []*process{k.controllerManager, k.scheduler, k.kwok} {
			if !p.running() {
				_, exitErr := p.exited()
				return fmt.Errorf("wait for %s: %s exited (%v)", what, p.name, exitErr())
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s: not done after %s; last check: %w", what, k.timeout, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// fakeNode is the node kwok manages.
func fakeNode() *corev1.Node {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("32"),
		corev1.ResourceMemory: resource.MustParse("128Gi"),
		corev1.ResourcePods:   resource.MustParse("110"),
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: KwokNodeName,
			Labels: map[string]string{
				"type":                   "kwok",
				"kubernetes.io/hostname": KwokNodeName,
				"kubernetes.io/os":       "linux",
				"kubernetes.io/arch":     "amd64",
			},
			Annotations: map[string]string{kwokNodeAnnotation: "fake"},
		},
		Status: corev1.NodeStatus{Capacity: capacity, Allocatable: capacity},
	}
}

// untaintReadyNode returns nil once the node is Ready and has no
// node.kubernetes.io/not-ready taint, removing that taint (which the
// API server's admission adds at creation) once kwok reported Ready: no
// node-lifecycle controller runs to do it.
func untaintReadyNode(ctx context.Context, client kubernetes.Interface) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		node, err := client.CoreV1().Nodes().Get(ctx, KwokNodeName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		ready := slices.ContainsFunc(node.Status.Conditions, func(c corev1.NodeCondition) bool {
			return c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue
		})
		if !ready {
			return fmt.Errorf("node %s is not Ready yet", KwokNodeName)
		}
		taints := slices.DeleteFunc(slices.Clone(node.Spec.Taints), func(t corev1.Taint) bool {
			return t.Key == corev1.TaintNodeNotReady || t.Key == corev1.TaintNodeUnreachable
		})
		if len(taints) == len(node.Spec.Taints) {
			return nil
		}
		node.Spec.Taints = taints
		if _, err := client.CoreV1().Nodes().Update(ctx, node, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("remove not-ready taint from %s: %w", KwokNodeName, err)
		}
		return nil
	})
}
