// Package k8s reads kimiclaw-db's cluster state and writes the changes a
// human approved (or auto-apply chose), with client-go.
//
// # Reading
//
// Start runs watches (informers) scoped to the namespace: the Deployment
// and ConfigMap duckdb-config by name, the namespace's HPAs (the one whose
// scaleTargetRef is the Deployment is used), the Deployment's Events, and
// the VPA kimiclaw-vpa through the dynamic client when the
// autoscaling.k8s.io/v1 VerticalPodAutoscaler CRD is served (absent CRD:
// no VPA, not an error). State and Events read the watch caches; a poll
// sends no request. Watches that break re-list and resume by themselves.
// Start fails at once, naming the watch, when RBAC refuses one (except the
// VPA's, which is then left out).
//
// An object kimiscale cannot read is left out of the state, never silently:
// an unreadable last-scale annotation (which leaves the cooldown nothing to
// go by), pinned-from or original-min-replicas annotation, or duckdb-config
// is logged at Warn level (once, not on every poll) and kept, one sentence
// each naming the object, the bad value and the repair, for Warnings (the
// problems the last State call found).
//
// # Writing replicas
//
// Without an HPA, Scale sends one merge patch to the Deployment that sets
// spec.replicas, the annotation kimiscale.kimiclaw.io/last-scale
// ({"at","direction","from","to","by","reason"}) and
// metadata.resourceVersion (the version the user approved). The API server
// applies all of it or nothing, so the change and its shared record (which
// drives every console's cooldown) can never be seen apart. A stale version
// is a 409 Conflict: kimiscale re-reads the Deployment and retries only
// while it still has the approved From replicas; otherwise it returns a
// *PreconditionError saying what changed, and nothing is written. This is
// the precondition of kubectl's scale (size and resourceVersion) done in
// the request itself, rather than through the scale subresource plus a
// second request for the annotation, which could fail after the replicas
// changed.
//
// # When an HPA targets the Deployment
//
// kimiscale never writes replicas the HPA would undo (a real HPA controller
// resets a hand-scaled Deployment within one sync); it writes the HPA:
//
//   - Scale up from N to M: minReplicas is raised to M (to maxReplicas if M
//     is above it, and the message says so). The HPA then scales the
//     Deployment to at least M within one sync, and the change sticks
//     because the HPA itself holds it. If minReplicas already covers M,
//     nothing is written and an *HPAError says so.
//   - Scale down from N to M: minReplicas is lowered to M when it is above M.
//     The Deployment is not scaled down by kimiscale: the HPA decides when,
//     from its metrics and after its scale-down stabilization window, and
//     the result's message says so. If minReplicas is already M or lower,
//     nothing is written and an *HPAError says the HPA keeps its own count
//     and that pinning is the way to force it. M must be at least 1.
//   - A raised minReplicas outlives the console (the HPA keeps the floor),
//     so the first time Scale moves an HPA's minReplicas the same patch
//     stores the value it had in the HPA's annotation
//     kimiscale.kimiclaw.io/original-min-replicas (a decimal number, e.g.
//     "2"); later moves keep the first saved value, and the move that brings
//     minReplicas back to it removes the annotation. Pin and unpin leave it
//     alone. OriginalMinReplicas reports it as the last State call read it.
//     An unreadable value stops Scale through the HPA (the error and
//     Warnings name it and the repair: kubectl annotate hpa/NAME
//     kimiscale.kimiclaw.io/original-min-replicas-).
//   - Pin N: minReplicas = maxReplicas = N in one patch that also stores the
//     original bounds in the HPA's annotation kimiscale.kimiclaw.io/pinned-from
//     ({"min","max"}); pinning again keeps the first saved bounds. The HPA
//     then holds the Deployment at exactly N. While pinned, Scale refuses
//     (*HPAError) and asks to pin again or unpin.
//   - Unpin: restores the saved bounds and removes the annotation in one
//     patch; the HPA decides again.
//   - An unreadable pinned-from annotation stops pin, unpin and Scale, with
//     an error naming it, its value and the repair (set minReplicas and
//     maxReplicas back by hand, then kubectl annotate hpa/NAME
//     kimiscale.kimiclaw.io/pinned-from-): the original bounds are unknown,
//     and pinning again would save the pinned bounds as the original ones.
//
// What each HPA write checks: Scale first reads the Deployment and goes on
// only while it still has the approved From replicas (otherwise a
// *PreconditionError, nothing written); the HPA patch (Scale, pin and
// unpin) carries the resourceVersion of the HPA as this console's watch
// cache held it when the request started, so an HPA changed since then is a
// 409 Conflict. After a conflict kimiscale reads the HPA again (and, for
// Scale, the Deployment, which must still have From replicas) and retries
// over the new state, up to client-go's retry.DefaultRetry. The
// resourceVersion the user approved is the Deployment's, not the HPA's, so
// an HPA change made before the request started is not a conflict. The
// Deployment's last-scale annotation is written right after, as a second
// request: the annotation lives on the Deployment and the bound on
// the HPA, so one request cannot hold both. If that annotation write fails
// the change stands and the result's message says the record is missing.
//
// # DuckDB settings
//
// ApplyDuckDB refuses values DuckDB would reject or that exceed the
// container's limits (core.ValidateDuckDB), then updates duckdb-config
// (memory_limit, threads) with the approved resourceVersion (after a
// conflict: only while the approved values are still there), and only when
// asked restarts the pods as kubectl rollout restart does (pod-template
// annotation kubectl.kubernetes.io/restartedAt).
//
// # Records
//
// Every write, applied or not, is recorded twice: a Kubernetes Event on the
// Deployment (source and reporting controller "kimiscale", reason
// KimiscaleScaled, KimiscalePinned, KimiscaleUnpinned, KimiscaleDuckDB or,
// for a refused or failed write, KimiscaleNotApplied; the message names the
// user and the reason; the annotation kimiscale.kimiclaw.io/by names the
// user), and one JSON line (AuditRecord) appended with O_APPEND and fsync'd
// to the local audit log ($XDG_STATE_HOME/kimiscale/audit.log, file 0600,
// directory 0700). A dry run (Options.DryRun: server-side dry run,
// metav1.DryRunAll) is validated by the server, changes nothing, records no
// Event and is written to the audit log with "dryRun": true.
//
// # Leadership and access
//
// Auto-apply runs only while this console holds the Lease
// kimiscale-<deployment> (Acquire, client-go leaderelection, identity
// user@host#<random>, so two consoles of one user cannot both lead; shown as
// user@host); losing it is reported on the channel the moment the elector
// gives up, and a console that releases it (or ends) hands it over at once.
// Scale refuses an automatic request (ScaleRequest.Auto) with ErrNotLeader
// unless this console holds the Lease at that moment. Access asks SelfSubjectAccessReviews for each write; the Roles
// kimiscale-viewer and kimiscale-operator in deploy/rbac.yaml grant exactly
// what the reads and writes need.
//
// *Client implements the dashboard's ClusterReader, Actuator, AccessChecker
// and LeaseHolder (ui/deps.go); this package does not import ui.
package k8s
