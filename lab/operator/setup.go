package main

import (
	"fmt"
	"strings"

	"github.com/vitistack/common/pkg/v1alpha1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	"github.com/vitistack/vitictl/lab/operator/internal/kinds"
	"github.com/vitistack/vitictl/lab/operator/internal/simulate"
)

// scheme knows the built-in types (the performance ConfigMap) and the VitiStack API module's.
var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		panic(err)
	}
	if err := v1alpha1.AddToScheme(s); err != nil {
		panic(err)
	}
	return s
}()

// deletionStarted passes the update that sets an object's deletion timestamp.
var deletionStarted = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		return e.ObjectNew.GetDeletionTimestamp() != nil && e.ObjectOld.GetDeletionTimestamp() == nil
	},
	CreateFunc:  func(event.CreateEvent) bool { return false },
	DeleteFunc:  func(event.DeleteEvent) bool { return false },
	GenericFunc: func(event.GenericEvent) bool { return false },
}

// kindDistributions is the repeatable --provision-time-for KIND=DISTRIBUTION flag.
type kindDistributions []string

func (k *kindDistributions) String() string { return strings.Join(*k, " ") }

func (k *kindDistributions) Set(value string) error {
	kind, _, ok := strings.Cut(value, "=")
	if !ok || kind == "" {
		return fmt.Errorf("%q is not KIND=DISTRIBUTION", value)
	}
	if _, found := kinds.Find(kind); !found {
		return fmt.Errorf("unknown kind %q (known: %s)", kind, strings.Join(kinds.Names(), ","))
	}
	*k = append(*k, value)
	return nil
}

// distributions parses every entry; a later entry for the same kind wins.
func (k kindDistributions) distributions(rng *simulate.RNG) (map[string]simulate.Distribution, error) {
	out := map[string]simulate.Distribution{}
	for _, entry := range k {
		name, spec, _ := strings.Cut(entry, "=")
		kind, _ := kinds.Find(name)
		d, err := simulate.ParseDistribution(spec, rng)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", kind.Name, err)
		}
		out[kind.Name] = d
	}
	return out, nil
}
