package reconciler

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/vitistack/common/pkg/operator/finalizers"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vitistack/vitictl/lab/operator/internal/metrics"
)

// Annotations of updates and deletes. Times are RFC3339 with milliseconds, taken immediately
// before the write that made the transition visible: the ground truth for vitictl's timing.
const (
	// ObservedGenerationAnnotation is the metadata.generation the operator provisions (or has
	// provisioned): status.observedGeneration for the kinds whose status has no such field. It is
	// written only after the status has left the ready phase, so "ready and observed ≥ N" is true
	// exactly once generation N is provisioned.
	ObservedGenerationAnnotation = "lab.vitictl.io/observed-generation"
	// ReprovisioningAtAnnotation: the status write that took a ready object out of ready after a
	// spec change.
	ReprovisioningAtAnnotation = "lab.vitictl.io/reprovisioning-at"
	// ReconciledAtAnnotation: the status write that declared the observed generation ready (every
	// generation; ReadyAtAnnotation keeps the first one).
	ReconciledAtAnnotation = "lab.vitictl.io/reconciled-at"
	// DeprovisioningAtAnnotation: the status write that set the deprovisioning phase.
	DeprovisioningAtAnnotation = "lab.vitictl.io/deprovisioning-at"
	// DeprovisionUntilAnnotation: when the simulated deprovisioning ends; kept on the object so a
	// restarted operator keeps the same plan and no worker is held while deprovisioning.
	DeprovisionUntilAnnotation = "lab.vitictl.io/deprovision-until"
	// DeprovisionTimeAnnotation overrides --deprovision-time for one object (a Go duration).
	DeprovisionTimeAnnotation = "lab.vitictl.io/deprovision-time"
	// InjectDeleteFailureAnnotation, when set to anything but "" or "false", makes the
	// deprovisioning of this one object fail permanently with the value as the message.
	InjectDeleteFailureAnnotation = "lab.vitictl.io/inject-delete-failure"
	// DeleteFailureReason is the failure reason written for simulated deprovisioning failures.
	DeleteFailureReason = "SimulatedDeprovisioningFailure"
)

// ObservedGeneration is the generation recorded by ObservedGenerationAnnotation; an object
// provisioned by an operator that did not write it counts as generation 1.
func ObservedGeneration(obj client.Object) int64 {
	g, err := strconv.ParseInt(obj.GetAnnotations()[ObservedGenerationAnnotation], 10, 64)
	if err != nil {
		return 1
	}
	return g
}

// NeedsReprovisioning says whether a ready object's spec changed since it was provisioned.
func NeedsReprovisioning(obj client.Object) bool {
	return obj.GetGeneration() > ObservedGeneration(obj)
}

// injected reads an injection annotation: its message, or "" when not set.
func injected(obj client.Object, key string) string {
	v := obj.GetAnnotations()[key]
	if v == "false" {
		return ""
	}
	return v
}

// DeprovisionTime is the deprovisioning time of one object: its DeprovisionTimeAnnotation, else a
// draw from the kind's distribution.
func (s *Sim) DeprovisionTime(kind string, obj client.Object) (time.Duration, error) {
	if v, ok := obj.GetAnnotations()[DeprovisionTimeAnnotation]; ok {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return 0, fmt.Errorf("annotation %s=%q is not a non-negative duration", DeprovisionTimeAnnotation, v)
		}
		return d, nil
	}
	if d, ok := s.DeprovisionBy[kind]; ok {
		return d.Sample(), nil
	}
	if s.Deprovision == nil {
		return 0, nil
	}
	return s.Deprovision.Sample(), nil
}

// DeprovisionRemaining is how long the planned deprovisioning of obj still runs at now; planned
// is false when it has not started.
func DeprovisionRemaining(obj client.Object, now time.Time) (remaining time.Duration, planned bool, err error) {
	v, ok := obj.GetAnnotations()[DeprovisionUntilAnnotation]
	if !ok {
		return 0, false, nil
	}
	until, err := time.Parse(TimeFormat, v)
	if err != nil {
		return 0, true, fmt.Errorf("annotation %s=%q: %w", DeprovisionUntilAnnotation, v, err)
	}
	return max(until.Sub(now), 0), true, nil
}

// deprovision handles a deleted object: the deprovisioning phase for the deprovisioning time
// (requeued, not holding a worker), then — unless the deprovisioning fails — the finalizer goes.
// With a deprovisioning time of 0 and no failure to inject the finalizer is removed at once.
func (r *Reconciler) deprovision(ctx context.Context, obj client.Object) (ctrl.Result, error) {
	if !finalizers.Has(obj, Finalizer) {
		return ctrl.Result{}, nil
	}
	phases := r.Kind.Phases
	remaining, planned, err := DeprovisionRemaining(obj, time.Now())
	if err != nil {
		return ctrl.Result{}, err
	}
	if planned && r.Kind.StatusOf(obj).Phase() == phases.Failed {
		return ctrl.Result{}, nil // deprovisioning failed for good: the finalizer stays
	}
	if !planned {
		d, err := r.Sim.DeprovisionTime(r.Kind.Name, obj)
		if err != nil {
			return ctrl.Result{}, err
		}
		if d == 0 && injected(obj, InjectDeleteFailureAnnotation) == "" && r.Sim.DeleteFailureRate == 0 {
			return ctrl.Result{}, r.release(ctx, obj)
		}
		var startedAt time.Time
		if err := r.patchRawStatus(ctx, obj, func(now time.Time) map[string]any {
			startedAt = now
			return map[string]any{"phase": phases.Deprovisioning}
		}); err != nil {
			return ctrl.Result{}, fmt.Errorf("set phase %s: %w", phases.Deprovisioning, err)
		}
		if err := r.annotateMany(ctx, obj, map[string]string{
			DeprovisioningAtAnnotation: startedAt.Format(TimeFormat),
			DeprovisionUntilAnnotation: startedAt.Add(d).Format(TimeFormat),
		}); err != nil {
			return ctrl.Result{}, err
		}
		remaining = d
	}
	if remaining > 0 {
		return ctrl.Result{RequeueAfter: remaining}, nil
	}

	message := injected(obj, InjectDeleteFailureAnnotation)
	if message != "" || r.Sim.RNG.Chance(r.Sim.DeleteFailureRate) {
		if message == "" {
			message = "injected permanent deprovisioning failure (--fail-delete-rate)"
		} else {
			message = "injected permanent deprovisioning failure (" + InjectDeleteFailureAnnotation + "): " + message
		}
		status := r.Kind.StatusOf(obj)
		if err := r.patchStatus(ctx, obj, func(now time.Time) {
			status.SetFailed(DeleteFailureReason, message, now)
		}); err != nil {
			return ctrl.Result{}, fmt.Errorf("set phase %s: %w", phases.Failed, err)
		}
		metrics.Outcomes.WithLabelValues(r.Kind.Name, "delete-failed").Inc()
		return ctrl.Result{}, nil
	}
	return ctrl.Result{}, r.release(ctx, obj)
}

// release removes the finalizer (optimistic lock: a conflict is retried by the controller). The
// object is gone with that write, so no stamp on it could be read back; the lab's audit log records
// when the write was committed (src/lab/audit.ts). The write is a merge patch of metadata, not an
// Update: an Update sends the whole typed object, and the Go
// types serialise absent optional structs as empty ones (a MachineClass without spec.gpu is sent
// with "gpu": {}), which the CRD's schema rejects (spec.gpu.cores: Required value).
func (r *Reconciler) release(ctx context.Context, obj client.Object) error {
	base := obj.DeepCopyObject().(client.Object)
	var kept []string
	for _, f := range obj.GetFinalizers() {
		if f != Finalizer {
			kept = append(kept, f)
		}
	}
	obj.SetFinalizers(kept)
	if err := r.timed(func() error {
		return r.Client.Patch(ctx, obj, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{}))
	}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("remove finalizer: %w", err)
	}
	return nil
}

// patchRawStatus writes some status fields as a JSON merge patch (for fields every kind shares,
// like phase, where the typed status has no setter).
func (r *Reconciler) patchRawStatus(ctx context.Context, obj client.Object, fields func(now time.Time) map[string]any) error {
	patch, err := json.Marshal(map[string]any{"status": fields(time.Now().UTC())})
	if err != nil {
		return err
	}
	return r.timed(func() error { return r.Client.Status().Patch(ctx, obj, client.RawPatch(types.MergePatchType, patch)) })
}

func (r *Reconciler) annotateMany(ctx context.Context, obj client.Object, values map[string]string) error {
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": values}})
	if err := r.timed(func() error {
		return r.Client.Patch(ctx, obj, client.RawPatch(types.MergePatchType, patch))
	}); err != nil {
		return fmt.Errorf("annotate: %w", err)
	}
	return nil
}
