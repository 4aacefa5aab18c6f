// Package reconciler is the simulated VitiStack provisioning reconciler, one instance per kind.
package reconciler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/vitistack/vitictl/lab/operator/internal/metrics"
	"github.com/vitistack/vitictl/lab/operator/internal/simulate"
)

const (
	// ReadyAtAnnotation holds the time (RFC3339, milliseconds, UTC) taken immediately before
	// the status write that declared the object Running/Ready.
	ReadyAtAnnotation = "lab.vitictl.io/ready-at"
	// FailedAtAnnotation is the same for the status write that declared the object Failed.
	FailedAtAnnotation = "lab.vitictl.io/failed-at"
	// InjectFailureAnnotation, when set to anything but "" or "false", makes this one object fail
	// permanently with the value as the message: deterministic failure injection by the scenario.
	InjectFailureAnnotation = "lab.vitictl.io/inject-failure"

	PhasePending  = "Pending"
	PhaseCreating = "Creating"
	PhaseRunning  = "Running"
	PhaseFailed   = "Failed"

	// TimeFormat is RFC3339 with milliseconds.
	TimeFormat = "2006-01-02T15:04:05.000Z07:00"
)

// Group and version of the VitiStack CRDs.
var GroupVersion = schema.GroupVersion{Group: "vitistack.io", Version: "v1alpha1"}

// Kinds are the kinds the operator can reconcile.
var Kinds = []string{"Machine", "Vitistack", "MachineProvider", "KubernetesCluster"}

// ErrInjected is returned for an injected transient error.
var ErrInjected = errors.New("injected transient provisioning error (--error-rate)")

// Sim is the simulation shared by all controllers.
type Sim struct {
	Provision   simulate.Distribution // used when Batcher is nil
	Batcher     *simulate.Batcher     // non-nil when batchSize > 1
	Cache       *simulate.ProviderCache
	RNG         *simulate.RNG
	APICalls    int     // uncached GETs per reconcile
	FailureRate float64 // probability of a permanent failure per provisioning attempt
	ErrorRate   float64 // probability of a transient error per provisioning attempt

	RequeueDelay        time.Duration
	RequeueDelayOnError time.Duration
}

// Reconciler reconciles one kind.
type Reconciler struct {
	Kind      string
	Client    client.Client // writes; cached reads when APICalls == 0
	APIReader client.Reader // uncached reads (count in rest_client_requests_total)
	Sim       *Sim
}

// GVK of the reconciled kind.
func (r *Reconciler) GVK() schema.GroupVersionKind { return GroupVersion.WithKind(r.Kind) }

// NewObject returns an empty unstructured object of the reconciled kind.
func (r *Reconciler) NewObject() *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(r.GVK())
	return u
}

func (r *Reconciler) timed(f func() error) error {
	start := time.Now()
	err := f()
	metrics.APICallDuration.WithLabelValues(r.Kind).Observe(time.Since(start).Seconds())
	return err
}

// Reconcile implements reconcile.Reconciler.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	start := time.Now()
	defer func() { metrics.ReconcileDuration.WithLabelValues(r.Kind).Observe(time.Since(start).Seconds()) }()
	logger := log.FromContext(ctx)

	// The first API call reads the object live, so the decision is never made on a stale
	// cache (e.g. right after our own status write). With --api-calls-per-reconcile=0 the
	// informer cache is used instead.
	obj := r.NewObject()
	calls := r.Sim.APICalls
	var err error
	if calls > 0 {
		calls--
		err = r.timed(func() error { return r.APIReader.Get(ctx, req.NamespacedName, obj) })
	} else {
		err = r.Client.Get(ctx, req.NamespacedName, obj)
	}
	if err != nil {
		if apierrors.IsNotFound(err) {
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}
	if obj.GetDeletionTimestamp() != nil {
		return ctrl.Result{}, nil // no finalizers: nothing to do
	}

	phase, _, _ := unstructured.NestedString(obj.Object, "status", "phase")
	switch phase {
	case PhaseFailed:
		return ctrl.Result{}, nil
	case PhaseRunning:
		if r.Sim.RequeueDelay <= 0 {
			return ctrl.Result{}, nil
		}
		// Simulated polling of the provider: look up its config, make the remaining calls.
		if err := r.work(ctx, obj, calls); err != nil {
			return ctrl.Result{}, err
		}
		return ctrl.Result{RequeueAfter: r.Sim.RequeueDelay}, nil
	}

	if phase != PhaseCreating {
		if err := r.patchStatus(ctx, obj, func(now time.Time) {
			_ = unstructured.SetNestedField(obj.Object, PhaseCreating, "status", "phase")
			setCondition(obj, "Ready", "False", "Provisioning", "simulated provisioning in progress", now)
		}); err != nil {
			return ctrl.Result{}, fmt.Errorf("set phase Creating: %w", err)
		}
	}

	if err := r.work(ctx, obj, calls); err != nil {
		return ctrl.Result{}, err
	}

	// Provisioning: hold the worker.
	metrics.QueueDepth.WithLabelValues(r.Kind).Inc()
	if r.Sim.Batcher != nil {
		err = r.Sim.Batcher.Provision(ctx)
	} else {
		err = simulate.Sleep(ctx, r.Sim.Provision.Sample())
	}
	metrics.QueueDepth.WithLabelValues(r.Kind).Dec()
	if err != nil {
		if cause := context.Cause(ctx); cause != nil && cause != err {
			err = fmt.Errorf("%w (%v)", err, cause)
		}
		return ctrl.Result{}, fmt.Errorf("provisioning interrupted: %w", err)
	}

	if r.Sim.RNG.Chance(r.Sim.ErrorRate) {
		metrics.Outcomes.WithLabelValues(r.Kind, "error").Inc()
		if r.Sim.RequeueDelayOnError > 0 {
			logger.V(1).Info("injected transient error, requeue", "after", r.Sim.RequeueDelayOnError)
			return ctrl.Result{RequeueAfter: r.Sim.RequeueDelayOnError}, nil
		}
		return ctrl.Result{}, ErrInjected
	}

	injected := obj.GetAnnotations()[InjectFailureAnnotation]
	byAnnotation := injected != "" && injected != "false"
	if byAnnotation || r.Sim.RNG.Chance(r.Sim.FailureRate) {
		message := "injected permanent provisioning failure (--failure-rate)"
		if byAnnotation {
			message = "injected permanent provisioning failure (" + InjectFailureAnnotation + "): " + injected
		}
		var t time.Time
		if err := r.patchStatus(ctx, obj, func(now time.Time) {
			t = now
			_ = unstructured.SetNestedField(obj.Object, PhaseFailed, "status", "phase")
			_ = unstructured.SetNestedField(obj.Object, "SimulatedFailure", "status", "failureReason")
			_ = unstructured.SetNestedField(obj.Object, message, "status", "failureMessage")
			_ = unstructured.SetNestedField(obj.Object, now.Format(TimeFormat), "status", "lastUpdated")
			setCondition(obj, "Ready", "False", "ProvisioningFailed", message, now)
		}); err != nil {
			return ctrl.Result{}, fmt.Errorf("set phase Failed: %w", err)
		}
		metrics.Outcomes.WithLabelValues(r.Kind, "failed").Inc()
		return ctrl.Result{}, r.annotate(ctx, obj, FailedAtAnnotation, t)
	}

	var readyAt time.Time
	if err := r.patchStatus(ctx, obj, func(now time.Time) {
		readyAt = now
		_ = unstructured.SetNestedField(obj.Object, PhaseRunning, "status", "phase")
		_ = unstructured.SetNestedField(obj.Object, now.Format(TimeFormat), "status", "lastUpdated")
		unstructured.RemoveNestedField(obj.Object, "status", "failureReason")
		unstructured.RemoveNestedField(obj.Object, "status", "failureMessage")
		setCondition(obj, "Ready", "True", "Provisioned", "simulated provisioning finished", now)
	}); err != nil {
		return ctrl.Result{}, fmt.Errorf("set phase Running: %w", err)
	}
	metrics.Outcomes.WithLabelValues(r.Kind, "ready").Inc()
	if err := r.annotate(ctx, obj, ReadyAtAnnotation, readyAt); err != nil {
		return ctrl.Result{}, err
	}
	if r.Sim.RequeueDelay > 0 {
		return ctrl.Result{RequeueAfter: r.Sim.RequeueDelay}, nil
	}
	return ctrl.Result{}, nil
}

// work is the per-reconcile work besides provisioning: the provider-config lookup (cache) and
// the remaining uncached GETs.
func (r *Reconciler) work(ctx context.Context, obj *unstructured.Unstructured, calls int) error {
	if _, err := r.Sim.Cache.Lookup(ctx, CacheKey(obj)); err != nil {
		return err
	}
	for i := 0; i < calls; i++ {
		tmp := r.NewObject()
		if err := r.timed(func() error { return r.APIReader.Get(ctx, client.ObjectKeyFromObject(obj), tmp) }); err != nil {
			return err
		}
	}
	return nil
}

// CacheKey is spec.providerConfig.name, else the namespace, else "cluster".
func CacheKey(obj *unstructured.Unstructured) string {
	if n, ok, _ := unstructured.NestedString(obj.Object, "spec", "providerConfig", "name"); ok && n != "" {
		return "provider/" + n
	}
	if ns := obj.GetNamespace(); ns != "" {
		return "namespace/" + ns
	}
	return "cluster"
}

// patchStatus applies mutate to obj and sends the difference as one JSON merge patch to the
// status subresource (no optimistic lock). mutate gets the time taken right before the write.
func (r *Reconciler) patchStatus(ctx context.Context, obj *unstructured.Unstructured, mutate func(now time.Time)) error {
	orig := obj.DeepCopy()
	mutate(time.Now().UTC())
	return r.timed(func() error { return r.Client.Status().Patch(ctx, obj, client.MergeFrom(orig)) })
}

func (r *Reconciler) annotate(ctx context.Context, obj *unstructured.Unstructured, key string, t time.Time) error {
	patch, _ := json.Marshal(map[string]any{
		"metadata": map[string]any{"annotations": map[string]string{key: t.Format(TimeFormat)}},
	})
	if err := r.timed(func() error {
		return r.Client.Patch(ctx, obj, client.RawPatch(types.MergePatchType, patch))
	}); err != nil {
		return fmt.Errorf("annotate %s: %w", key, err)
	}
	return nil
}

// setCondition sets or replaces a condition; lastTransitionTime changes only with the status.
func setCondition(obj *unstructured.Unstructured, typ, status, reason, message string, now time.Time) {
	conds, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	ltt := now.Format(time.RFC3339)
	out := make([]any, 0, len(conds)+1)
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if !ok {
			continue
		}
		if t, _ := m["type"].(string); t == typ {
			if s, _ := m["status"].(string); s == status {
				if old, _ := m["lastTransitionTime"].(string); old != "" {
					ltt = old
				}
			}
			continue
		}
		out = append(out, m)
	}
	out = append(out, map[string]any{
		"type": typ, "status": status, "reason": reason, "message": message, "lastTransitionTime": ltt,
	})
	_ = unstructured.SetNestedSlice(obj.Object, out, "status", "conditions")
}

// ParseKinds parses the --kinds flag (case-insensitive, comma-separated) into canonical names.
func ParseKinds(s string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		found := ""
		for _, k := range Kinds {
			if strings.EqualFold(k, part) {
				found = k
			}
		}
		if found == "" {
			return nil, fmt.Errorf("unknown kind %q (known: %s)", part, strings.Join(Kinds, ","))
		}
		if !seen[found] {
			seen[found] = true
			out = append(out, found)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no kinds enabled")
	}
	return out, nil
}

// ControllerName is the controller name for a kind ("machine", "kubernetescluster", ...).
func ControllerName(kind string) string { return strings.ToLower(kind) }
