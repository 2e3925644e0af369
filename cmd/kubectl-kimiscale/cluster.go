package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"sort"
	"strings"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"
	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// cluster is what cmd builds from the kubeconfig flags.
type cluster struct {
	config    *rest.Config
	client    kubernetes.Interface
	namespace string
	context   string
}

// connect builds clients from the kubeconfig flags, with the errors a user
// will hit explained.
func (o *Options) connect() (*cluster, error) {
	loader := o.configFlags.ToRawKubeConfigLoader()
	if raw, err := loader.RawConfig(); err == nil && len(raw.Clusters) == 0 &&
		ptrValue(o.configFlags.APIServer) == "" && os.Getenv("KUBERNETES_SERVICE_HOST") == "" {
		// client-go would fall back to http://localhost:8080; say what is missing instead.
		return nil, errNoKubeconfig
	}
	cfg, err := o.configFlags.ToRESTConfig()
	if err != nil {
		if clientcmd.IsEmptyConfig(err) {
			return nil, errNoKubeconfig
		}
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	if o.quietWarnings {
		cfg.WarningHandler = rest.NoWarnings{}
	}
	ns, _, err := loader.Namespace()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig namespace: %w", err)
	}
	raw, err := loader.RawConfig()
	ctxName := ""
	if err == nil {
		ctxName = raw.CurrentContext
		if o.configFlags.Context != nil && *o.configFlags.Context != "" {
			ctxName = *o.configFlags.Context
		}
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	return &cluster{config: cfg, client: client, namespace: ns, context: ctxName}, nil
}

var errNoKubeconfig = errors.New("no Kubernetes configuration found: set --kubeconfig or KUBECONFIG, " +
	"or check ~/.kube/config; to try kimiscale without a cluster run: kubectl kimiscale --demo")

func ptrValue(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// checkDeployment makes sure the Deployment exists, and explains an
// unreachable cluster or a wrong name (suggesting the ones that exist).
func (c *cluster) checkDeployment(ctx context.Context, name string) (*appsv1.Deployment, error) {
	d, err := c.client.AppsV1().Deployments(c.namespace).Get(ctx, name, metav1.GetOptions{})
	switch {
	case err == nil:
		return d, nil
	case apierrors.IsNotFound(err):
		list, lerr := c.client.AppsV1().Deployments(c.namespace).List(ctx, metav1.ListOptions{})
		if lerr != nil || len(list.Items) == 0 {
			return nil, fmt.Errorf("deployment %q not found in namespace %q, which has no Deployments; pick another with -n NAMESPACE", name, c.namespace)
		}
		names := make([]string, 0, len(list.Items))
		for _, d := range list.Items {
			names = append(names, d.Name)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("deployment %q not found in namespace %q; Deployments there: %s", name, c.namespace, strings.Join(names, ", "))
	case apierrors.IsForbidden(err):
		return nil, fmt.Errorf("not allowed to read deployment %q in namespace %q: %s; kimiscale needs at least the kimiscale-viewer Role (deploy/rbac.yaml)", name, c.namespace, apierrors.ReasonForError(err))
	default:
		return nil, c.explain(err)
	}
}

// explain turns a transport error into a sentence naming the server.
func (c *cluster) explain(err error) error {
	var uerr *url.Error
	var nerr net.Error
	if errors.As(err, &uerr) || errors.As(err, &nerr) {
		where := c.config.Host
		if c.context != "" {
			where += " (context " + c.context + ")"
		}
		return fmt.Errorf("cannot reach the Kubernetes API server at %s: %w; check --context and --kubeconfig, or try: kubectl kimiscale --demo", where, rootCause(err))
	}
	return err
}

func rootCause(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

// completeDeployments completes Deployment names in the current namespace.
func (o *Options) completeDeployments(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	c, err := o.connect()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveError
	}
	list, err := c.client.AppsV1().Deployments(c.namespace).List(cmd.Context(), metav1.ListOptions{})
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveError
	}
	var out []string
	for _, d := range list.Items {
		if strings.HasPrefix(d.Name, toComplete) {
			out = append(out, d.Name)
		}
	}
	sort.Strings(out)
	return out, cobra.ShellCompDirectiveNoFileComp
}

// isTerminal reports whether f (os.Stdin, os.Stdout) is a terminal.
func isTerminal(f any) bool {
	type fder interface{ Fd() uintptr }
	fd, ok := f.(fder)
	return ok && term.IsTerminal(fd.Fd())
}
