// Package reconciler is the simulated VitiStack provisioning reconciler, one instance per kind,
// working on the Go types of the published API module.
package reconciler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vitistack/common/pkg/operator/finalizers"
	"github.com/vitistack/common/pkg/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/vitistack/vitictl/lab/operator/internal/kinds"
	"github.com/vitistack/vitictl/lab/operator/internal/metrics"
	"github.com/vitistack/vitictl/lab/operator/internal/simulate"
)

const (
	// ReadyAtAnnotation holds the time (RFC3339, milliseconds, UTC) taken immediately before
	// the status write that declared the object ready.
	ReadyAtAnnotation = "lab.vitictl.io/ready-at"
	// FailedAtAnnotation is the same for the status write that declared the object Failed.
	FailedAtAnnotation = "lab.vitictl.io/failed-at"
	// InjectFailureAnnotation, when set to anything but "" or "false", makes this one object fail
	// permanently with the value as the message: deterministic failure injection by the scenario.
	InjectFailureAnnotation = "lab.vitictl.io/inject-failure"
	// Finalizer is held by every object the operator has started provisioning, until it is deleted.
	Finalizer = "lab.vitictl.io/reference-operator"
	// FailureReason is the failure reason written for simulated failures.
	FailureReason = "SimulatedFailure"
)

// TimeFormat is RFC3339 with milliseconds.
const TimeFormat = kinds.TimeFormat

// ErrInjected is returned for an injected transient error.
var ErrInjected = errors.New("injected transient provisioning error (--error-rate)")

// Sim is the simulation shared by all controllers.
type Sim struct {
	Provision   simulate.Distribution            // provisioning time when Batcher is nil
	ProvisionBy map[string]simulate.Distribution // per kind; wins over Provision
	Batcher     *simulate.Batcher                // non-nil when batchSize > 1
	Cache       *simulate.ProviderCache
	RNG         *simulate.RNG
	APICalls    int     // uncached GETs per reconcile
	FailureRate float64 // probability of a permanent failure per provisioning attempt
	ErrorRate   float64 // probability of a transient error per provisioning attempt
	Finalizers  bool    // hold Finalizer on provisioned objects

	Deprovision       simulate.Distribution            // deprovisioning time of a deleted object; nil = none
	DeprovisionBy     map[string]simulate.Distribution // per kind; wins over Deprovision
	DeleteFailureRate float64                          // probability of a permanent deprovisioning failure

	RequeueDelay        time.Duration
	RequeueDelayOnError time.Duration
}

// ProvisionTime is the provisioning time distribution of a kind.
func (s *Sim) ProvisionTime(kind string) simulate.Distribution {
	if d, ok := s.ProvisionBy[kind]; ok {
		return d
	}
	return s.Provision
}

// Reconciler reconciles one kind.
type Reconciler struct {
	Kind      kinds.Kind
	Client    client.Client // writes; cached reads when APICalls == 0
	APIReader client.Reader // uncached reads (count in rest_client_requests_total)
	Sim       *Sim
}

func (r *Reconciler) timed(f func() error) error {
	start := time.Now()
	err := f()
	metrics.APICallDuration.WithLabelValues(r.Kind.Name).Observe(time.Since(start).Seconds())
	return err
}

// Reconcile implements reconcile.Reconciler.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	start := time.Now()
	defer func() { metrics.ReconcileDuration.WithLabelValues(r.Kind.Name).Observe(time.Since(start).Seconds()) }()

	// The first API call reads the object live, so the decision is never made on a stale
	// cache (e.g. right after our own status write). With --api-calls-per-reconcile=0 the
	// informer cache is used instead.
	obj := r.Kind.New()
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
		return r.deprovision(ctx, obj)
	}

	// Writes below refresh obj from the server's answers, which may carry a newer generation
	// than the spec this attempt read and provisions.
	generation := obj.GetGeneration()
	status := r.Kind.StatusOf(obj)
	reprovision := false
	switch status.Phase() {
	case r.Kind.Phases.Failed:
		return ctrl.Result{}, nil
	case r.Kind.Phases.Ready:
		if NeedsReprovisioning(obj) {
			reprovision = true
			break
		}
		if r.Sim.RequeueDelay <= 0 {
			return ctrl.Result{}, nil
		}
		// Simulated polling of the provider: look up its config, make the remaining calls.
		if err := r.work(ctx, obj, calls); err != nil {
			return ctrl.Result{}, err
		}
		return ctrl.Result{RequeueAfter: r.Sim.RequeueDelay}, nil
	}

	if r.Sim.Finalizers {
		if err := r.timed(func() error { return finalizers.Ensure(ctx, r.Client, obj, Finalizer) }); err != nil {
			return ctrl.Result{}, fmt.Errorf("add finalizer: %w", err)
		}
	}
	if status.Phase() != r.Kind.Phases.Provisioning {
		var leftReadyAt time.Time
		if err := r.patchStatus(ctx, obj, func(now time.Time) {
			leftReadyAt = now
			status.SetProvisioning(now)
		}); err != nil {
			return ctrl.Result{}, fmt.Errorf("set phase %s: %w", r.Kind.Phases.Provisioning, err)
		}
		// Only now that the status is no longer ready may the new generation be announced.
		if reprovision {
			if err := r.annotateMany(ctx, obj, map[string]string{
				ObservedGenerationAnnotation: strconv.FormatInt(generation, 10),
				ReprovisioningAtAnnotation:   leftReadyAt.Format(TimeFormat),
			}); err != nil {
				return ctrl.Result{}, err
			}
		}
	}
	if err := r.work(ctx, obj, calls); err != nil {
		return ctrl.Result{}, err
	}
	if err := r.provision(ctx); err != nil {
		return ctrl.Result{}, err
	}
	return r.finish(ctx, obj, status, generation)
}

// provision holds the worker for the simulated provisioning time (or a batch).
func (r *Reconciler) provision(ctx context.Context) error {
	metrics.QueueDepth.WithLabelValues(r.Kind.Name).Inc()
	var err error
	if r.Sim.Batcher != nil {
		err = r.Sim.Batcher.Provision(ctx)
	} else {
		err = simulate.Sleep(ctx, r.Sim.ProvisionTime(r.Kind.Name).Sample())
	}
	metrics.QueueDepth.WithLabelValues(r.Kind.Name).Dec()
	if err != nil {
		if cause := context.Cause(ctx); cause != nil && cause != err {
			err = fmt.Errorf("%w (%v)", err, cause)
		}
		return fmt.Errorf("provisioning interrupted: %w", err)
	}
	return nil
}

// finish decides the outcome of a provisioning attempt and writes it.
func (r *Reconciler) finish(ctx context.Context, obj client.Object, status kinds.Status, generation int64) (ctrl.Result, error) {
	obj.SetGeneration(generation) // statuses with observedGeneration report the provisioned one
	if r.Sim.RNG.Chance(r.Sim.ErrorRate) {
		metrics.Outcomes.WithLabelValues(r.Kind.Name, "error").Inc()
		if r.Sim.RequeueDelayOnError > 0 {
			log.FromContext(ctx).V(1).Info("injected transient error, requeue", "after", r.Sim.RequeueDelayOnError)
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
		var failedAt time.Time
		if err := r.patchStatus(ctx, obj, func(now time.Time) {
			failedAt = now
			status.SetFailed(FailureReason, message, now)
		}); err != nil {
			return ctrl.Result{}, fmt.Errorf("set phase %s: %w", r.Kind.Phases.Failed, err)
		}
		metrics.Outcomes.WithLabelValues(r.Kind.Name, "failed").Inc()
		return ctrl.Result{}, r.annotateMany(ctx, obj, map[string]string{FailedAtAnnotation: failedAt.Format(TimeFormat)})
	}

	var readyAt time.Time
	if err := r.patchStatus(ctx, obj, func(now time.Time) {
		readyAt = now
		status.SetReady(now)
	}); err != nil {
		return ctrl.Result{}, fmt.Errorf("set phase %s: %w", r.Kind.Phases.Ready, err)
	}
	metrics.Outcomes.WithLabelValues(r.Kind.Name, "ready").Inc()
	stamps := map[string]string{
		ReconciledAtAnnotation:       readyAt.Format(TimeFormat),
		ObservedGenerationAnnotation: strconv.FormatInt(generation, 10),
	}
	if _, created := obj.GetAnnotations()[ReadyAtAnnotation]; !created {
		stamps[ReadyAtAnnotation] = readyAt.Format(TimeFormat)
	}
	if err := r.annotateMany(ctx, obj, stamps); err != nil {
		return ctrl.Result{}, err
	}
	if r.Sim.RequeueDelay > 0 {
		return ctrl.Result{RequeueAfter: r.Sim.RequeueDelay}, nil
	}
	return ctrl.Result{}, nil
}

// work is the per-reconcile work besides provisioning: the provider-config lookup (cache) and
// the remaining uncached GETs.
func (r *Reconciler) work(ctx context.Context, obj client.Object, calls int) error {
	if _, err := r.Sim.Cache.Lookup(ctx, CacheKey(obj)); err != nil {
		return err
	}
	for range calls {
		tmp := r.Kind.New()
		if err := r.timed(func() error { return r.APIReader.Get(ctx, client.ObjectKeyFromObject(obj), tmp) }); err != nil {
			return err
		}
	}
	return nil
}

// CacheKey is a Machine's spec.providerConfig.name, else the namespace, else "cluster".
func CacheKey(obj client.Object) string {
	if m, ok := obj.(*v1alpha1.Machine); ok && m.Spec.ProviderConfig.Name != "" {
		return "provider/" + m.Spec.ProviderConfig.Name
	}
	if ns := obj.GetNamespace(); ns != "" {
		return "namespace/" + ns
	}
	return "cluster"
}

// patchStatus applies mutate to the object's typed status and writes the whole status as one
// JSON merge patch to the status subresource (no optimistic lock, so no conflict retries). A
// whole status, not a diff: fields the CRD requires are sent even when they hold zero values.
// mutate gets the time taken right before the write.
func (r *Reconciler) patchStatus(ctx context.Context, obj client.Object, mutate func(now time.Time)) error {
	mutate(time.Now().UTC())
	patch, err := json.Marshal(map[string]any{"status": r.Kind.StatusOf(obj).Value()})
	if err != nil {
		return err
	}
	return r.timed(func() error { return r.Client.Status().Patch(ctx, obj, client.RawPatch(types.MergePatchType, patch)) })
}

// ControllerName is the controller name for a kind ("machine", "kubernetescluster", ...).
func ControllerName(kind string) string { return strings.ToLower(kind) }
