package k8s

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"

	"github.com/kimiclaw/kimiscale/core"
)

// ApplyDuckDB writes req.To's memory_limit and threads into duckdb-config,
// preconditioned on req.From's resourceVersion (after a conflict: on
// req.From's values still being there), and then, only when req.Restart,
// rolls the Deployment's pods the way kubectl rollout restart does (the
// pod-template annotation kubectl.kubernetes.io/restartedAt), since DuckDB
// reads its settings at start. Values DuckDB would reject or that exceed
// the container's limits are refused before anything is written
// (core.ValidateDuckDB). When the ConfigMap was written but the restart
// failed, the result says Applied and the error says the restart did not
// happen.
func (c *Client) ApplyDuckDB(ctx context.Context, req core.DuckDBRequest) (core.ApplyResult, error) {
	w := write{action: "duckdb", reason: ReasonDuckDB, by: c.by(req.By), why: req.Reason, request: req}
	res := core.ApplyResult{Via: ViaConfigMap}
	if req.Restart {
		res.Via = ViaRestart
	}
	to := req.To
	to.MemoryLimit = strings.TrimSpace(to.MemoryLimit)
	var limits core.Resources
	if d := c.cachedDeployment(); d != nil {
		if ctr := container(d); ctr != nil {
			limits = resources(ctr.Resources.Limits)
		}
	}
	if err := core.ValidateDuckDB(to, limits); err != nil {
		return c.finish(ctx, w, res, fmt.Errorf("duckdb settings refused: %w", err))
	}
	if err := c.updateConfigMap(ctx, req.From, to); err != nil {
		return c.finish(ctx, w, res, err)
	}
	res.Applied = !c.dryRun
	res.Message = fmt.Sprintf("set %s memory_limit %s→%s, threads %d→%d", ConfigMapName, orNone(req.From.MemoryLimit), to.MemoryLimit, req.From.Threads, to.Threads)
	if !req.Restart {
		res.Message += "; not restarted: DuckDB reads the new values when its pods next start"
	} else if err := c.restart(ctx); err != nil {
		res.Message += "; restart NOT done: " + err.Error()
		w.after = err
		out, _ := c.finish(ctx, w, res, nil)
		return out, fmt.Errorf("%s updated, but the rolling restart was not applied: %w", ConfigMapName, err)
	} else {
		res.Message += fmt.Sprintf("; rolling restart of %s started", c.name)
	}
	if c.dryRun {
		res.Message = "dry run: the server accepted: " + res.Message + "; nothing changed"
	}
	return c.finish(ctx, w, res, nil)
}

// orNone shows an empty value as "(none)".
func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// updateConfigMap writes to into duckdb-config. The first attempt carries
// from.ResourceVersion; after a conflict it re-reads and goes on only while
// memory_limit and threads still equal from's.
func (c *Client) updateConfigMap(ctx context.Context, from, to core.DuckDBSettings) error {
	cms := c.client.CoreV1().ConfigMaps(c.ns)
	rv := from.ResourceVersion
	first := true
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cm, err := cms.Get(ctx, ConfigMapName, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("get configmap %s/%s: %w", c.ns, ConfigMapName, err)
		}
		if !first || rv == "" {
			cur, _ := duckDBSettings(cm)
			if strings.TrimSpace(cur.MemoryLimit) != strings.TrimSpace(from.MemoryLimit) {
				return &PreconditionError{Resource: "configmap", Name: ConfigMapName, Field: "data.memory_limit", Want: orNone(from.MemoryLimit), Got: orNone(cur.MemoryLimit)}
			}
			if cur.Threads != from.Threads {
				return &PreconditionError{Resource: "configmap", Name: ConfigMapName, Field: "data.threads", Want: strconv.Itoa(from.Threads), Got: strconv.Itoa(cur.Threads)}
			}
			rv = cm.ResourceVersion
		}
		first = false
		cm.ResourceVersion = rv
		if cm.Data == nil {
			cm.Data = map[string]string{}
		}
		cm.Data["memory_limit"] = to.MemoryLimit
		cm.Data["threads"] = strconv.Itoa(to.Threads)
		opts := metav1.UpdateOptions{FieldManager: fieldManager}
		if c.dryRun {
			opts.DryRun = []string{metav1.DryRunAll}
		}
		_, err = cms.Update(ctx, cm, opts)
		if err != nil && !apierrors.IsConflict(err) {
			return fmt.Errorf("update configmap %s/%s: %w", c.ns, ConfigMapName, err)
		}
		return err
	})
	if apierrors.IsConflict(err) {
		return fmt.Errorf("update configmap %s/%s: still conflicting after %d attempts: %w", c.ns, ConfigMapName, retry.DefaultRetry.Steps, err)
	}
	return err
}

// restart sets the pod template's restartedAt annotation, as kubectl
// rollout restart does (a strategic merge patch with the time in RFC 3339).
func (c *Client) restart(ctx context.Context) error {
	patch, err := json.Marshal(map[string]any{
		"spec": map[string]any{"template": map[string]any{"metadata": map[string]any{
			"annotations": map[string]string{AnnotationRestartedAt: c.clock.Now().Format(time.RFC3339)},
		}}},
	})
	if err != nil {
		return fmt.Errorf("encode patch: %w", err)
	}
	if _, err := c.client.AppsV1().Deployments(c.ns).Patch(ctx, c.name, types.StrategicMergePatchType, patch, c.patchOptions()); err != nil {
		return fmt.Errorf("restart deployment %s/%s: %w", c.ns, c.name, err)
	}
	return nil
}
