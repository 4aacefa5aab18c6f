package kinds

import (
	"time"

	"github.com/vitistack/common/pkg/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The network kinds carry a phase but the module names no values for it: Pending, Ready and
// Failed, as its other kinds name them. Their Ready condition is a metav1.Condition.
var networkPhases = Phases{"Pending", "Ready", "Failed", PhaseDeleting}

var networkConfiguration = Kind{
	Name:   "NetworkConfiguration",
	Phases: networkPhases,
	New:    func() client.Object { return &v1alpha1.NetworkConfiguration{} },
	StatusOf: func(o client.Object) Status {
		n := o.(*v1alpha1.NetworkConfiguration)
		return &networkStatus{phase: &n.Status.Phase, status: &n.Status.Status, message: &n.Status.Message,
			created: &n.Status.Created, conditions: &n.Status.Conditions, generation: n.Generation, value: &n.Status}
	},
}

var networkNamespace = Kind{
	Name:   "NetworkNamespace",
	Phases: networkPhases,
	New:    func() client.Object { return &v1alpha1.NetworkNamespace{} },
	StatusOf: func(o client.Object) Status {
		n := o.(*v1alpha1.NetworkNamespace)
		return &networkStatus{phase: &n.Status.Phase, status: &n.Status.Status, message: &n.Status.Message,
			created: &n.Status.Created, conditions: &n.Status.Conditions, generation: n.Generation, value: &n.Status,
			fill: func() {
				n.Status.ObservedGeneration = n.Generation
				n.Status.DataCenterIdentifier = n.Spec.DatacenterIdentifier
				n.Status.SupervisorIdentifier = n.Spec.SupervisorIdentifier
			}}
	},
}

// networkStatus points into the status of either network kind (their common fields).
type networkStatus struct {
	phase, status, message *string
	created                *metav1.Time
	conditions             *[]metav1.Condition
	generation             int64
	value                  any
	fill                   func() // kind-specific fields, copied from the spec
}

func (n *networkStatus) Phase() string { return *n.phase }
func (n *networkStatus) Value() any    { return n.value }

func (n *networkStatus) SetProvisioning(now time.Time) {
	n.set(networkPhases.Provisioning, "provisioning", MessageProgress, now)
	setReady(n.conditions, metav1.ConditionFalse, ReasonProvisioning, MessageProgress, n.generation)
}

func (n *networkStatus) SetReady(now time.Time) {
	n.set(networkPhases.Ready, "ok", MessageReady, now)
	setReady(n.conditions, metav1.ConditionTrue, ReasonProvisioned, MessageReady, n.generation)
}

func (n *networkStatus) SetFailed(_, message string, now time.Time) {
	n.set(networkPhases.Failed, "error", message, now)
	setReady(n.conditions, metav1.ConditionFalse, ReasonFailed, message, n.generation)
}

func (n *networkStatus) set(phase, status, message string, now time.Time) {
	*n.phase, *n.status, *n.message = phase, status, message
	if n.fill != nil {
		n.fill()
	}
	if n.created.IsZero() {
		*n.created = metaTime(now)
	}
}
