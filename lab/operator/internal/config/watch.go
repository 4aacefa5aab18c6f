package config

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Source says where the effective configuration came from.
type Source string

const (
	SourceConfigMap Source = "configmap" // read and parsed
	SourceMissing   Source = "missing"   // ConfigMap or key absent: defaults
	SourceInvalid   Source = "invalid"   // present but unusable: defaults
	SourceError     Source = "error"     // could not be read: defaults
)

// Read fetches the raw performance.yaml and the ConfigMap's resourceVersion with an uncached
// reader. Found is false when the ConfigMap or its key is absent.
func Read(ctx context.Context, r client.Reader, namespace, name string) (Snapshot, error) {
	var cm corev1.ConfigMap
	if err := r.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, &cm); err != nil {
		if apierrors.IsNotFound(err) {
			return Snapshot{}, nil
		}
		return Snapshot{}, err
	}
	v, ok := cm.Data[Key]
	return Snapshot{Content: v, Found: ok, ResourceVersion: cm.ResourceVersion}, nil
}

// Watcher watches one ConfigMap with a single-object informer and calls OnChange (once) when
// the content of performance.yaml differs from the content the process started with
// (including appearing or disappearing).
type Watcher struct {
	Config    *rest.Config
	Namespace string
	Name      string
	// Initial is the raw content read at start-up ("" when absent).
	Initial      string
	InitialFound bool
	OnChange     func(reason string)
}

// Start runs the informer until ctx is done. It implements manager.Runnable.
func (w *Watcher) Start(ctx context.Context) error {
	cs, err := kubernetes.NewForConfig(w.Config)
	if err != nil {
		return fmt.Errorf("config watcher: %w", err)
	}
	lw := cache.NewListWatchFromClient(cs.CoreV1().RESTClient(), "configmaps", w.Namespace,
		fields.OneTermEqualSelector("metadata.name", w.Name))
	fired := false
	check := func(obj any, deleted bool) {
		if fired {
			return
		}
		content, found := "", false
		if !deleted {
			if cm, ok := obj.(*corev1.ConfigMap); ok {
				content, found = cm.Data[Key]
			}
		}
		if content == w.Initial && found == w.InitialFound {
			return
		}
		reason := "content of " + Key + " changed"
		switch {
		case deleted:
			reason = "ConfigMap deleted"
		case !w.InitialFound && found:
			reason = Key + " appeared"
		case w.InitialFound && !found:
			reason = Key + " removed"
		}
		fired = true
		w.OnChange(fmt.Sprintf("%s/%s: %s", w.Namespace, w.Name, reason))
	}
	_, informer := cache.NewInformerWithOptions(cache.InformerOptions{
		ListerWatcher: lw,
		ObjectType:    &corev1.ConfigMap{},
		ResyncPeriod:  0,
		Handler: cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { check(obj, false) },
			UpdateFunc: func(_, obj any) { check(obj, false) },
			DeleteFunc: func(obj any) { check(obj, true) },
		},
	})
	informer.RunWithContext(ctx)
	return nil
}

// NeedLeaderElection: the watcher runs on every replica.
func (w *Watcher) NeedLeaderElection() bool { return false }

// ReadWithRetry retries transient read errors for up to d.
func ReadWithRetry(ctx context.Context, r client.Reader, namespace, name string, d time.Duration) (Snapshot, error) {
	deadline := time.Now().Add(d)
	for {
		snap, err := Read(ctx, r, namespace, name)
		if err == nil || time.Now().After(deadline) || apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) {
			return snap, err
		}
		select {
		case <-ctx.Done():
			return Snapshot{}, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}
