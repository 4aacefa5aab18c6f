// Package kinds adapts the VitiStack kinds the operator reconciles, with the Go types of the
// published API module (github.com/vitistack/common/pkg/v1alpha1): which phase means what, and
// how a status reports progress, readiness and failure in each kind's own conventions.
package kinds

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Phases of one kind, as its status.phase reports them.
type Phases struct {
	Provisioning string // written when provisioning starts
	Ready        string // provisioned
	Failed       string // permanent failure
	// Deprovisioning is shown while a deleted object's finalizer is held.
	Deprovisioning string
}

// Status is the typed status of one object, seen through the operations the reconciler needs.
type Status interface {
	Phase() string
	SetProvisioning(now time.Time)
	SetReady(now time.Time)
	SetFailed(reason, message string, now time.Time)
	// Value is the whole typed status struct, written as status in one merge patch.
	Value() any
}

// Kind is one reconciled kind.
type Kind struct {
	Name   string
	Phases Phases
	New    func() client.Object
	// StatusOf views an object of this kind (made by New) through its status.
	StatusOf func(client.Object) Status
}

// PhaseDeleting is the deprovisioning phase of kinds whose module has no constant for it: the word
// the module uses for Vitistack.
const PhaseDeleting = "Deleting"

// TimeFormat is RFC3339 with milliseconds.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// Condition reasons and messages the operator writes, shared by every kind.
const (
	ReasonProvisioning = "Provisioning"
	ReasonProvisioned  = "Provisioned"
	ReasonFailed       = "ProvisioningFailed"
	MessageProgress    = "simulated provisioning in progress"
	MessageReady       = "simulated provisioning finished"
)

// All are the kinds the operator can reconcile: every kind vitictl's built-in scenarios create.
var All = []Kind{
	machine, machineClass, machineProvider, kubernetesProvider,
	kubernetesCluster, networkConfiguration, networkNamespace, vitistack,
}

// Names of All, in order.
func Names() []string { return NamesOf(All) }

// NamesOf lists the names of some kinds.
func NamesOf(ks []Kind) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.Name
	}
	return out
}

// Parse reads a comma-separated, case-insensitive list of kind names.
func Parse(s string) ([]Kind, error) {
	var out []Kind
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, ok := Find(part)
		if !ok {
			return nil, fmt.Errorf("unknown kind %q (known: %s)", part, strings.Join(Names(), ","))
		}
		if !seen[k.Name] {
			seen[k.Name] = true
			out = append(out, k)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no kinds enabled")
	}
	return out, nil
}

// Find looks a kind up by name, case-insensitively.
func Find(name string) (Kind, bool) {
	for _, k := range All {
		if strings.EqualFold(k.Name, name) {
			return k, true
		}
	}
	return Kind{}, false
}
