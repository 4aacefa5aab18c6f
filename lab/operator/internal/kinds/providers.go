package kinds

import (
	"time"

	"github.com/vitistack/common/pkg/v1alpha1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

var machineProvider = Kind{
	Name: "MachineProvider",
	Phases: Phases{v1alpha1.MachineProviderPhasePending, v1alpha1.MachineProviderPhaseReady,
		v1alpha1.MachineProviderPhaseFailed, PhaseDeleting},
	New: func() client.Object { return &v1alpha1.MachineProvider{} },
	StatusOf: func(o client.Object) Status {
		return &machineProviderStatus{s: &o.(*v1alpha1.MachineProvider).Status}
	},
}

type machineProviderStatus struct {
	s *v1alpha1.MachineProviderStatus
}

func (p *machineProviderStatus) Phase() string { return p.s.Phase }
func (p *machineProviderStatus) Value() any    { return p.s }

func (p *machineProviderStatus) SetProvisioning(now time.Time) {
	p.s.Phase, p.s.Message = v1alpha1.MachineProviderPhasePending, MessageProgress
	setProviderCondition(&p.s.Conditions, readyLegacy(v1alpha1.ConditionFalse, ReasonProvisioning, MessageProgress, now))
}

func (p *machineProviderStatus) SetReady(now time.Time) {
	p.s.Phase, p.s.Message = v1alpha1.MachineProviderPhaseReady, MessageReady
	verified := metaTime(now)
	p.s.LastVerified = &verified
	p.s.Health.Status, p.s.Health.LastCheck = "Healthy", &verified
	setProviderCondition(&p.s.Conditions, readyLegacy(v1alpha1.ConditionTrue, ReasonProvisioned, MessageReady, now))
}

func (p *machineProviderStatus) SetFailed(_, message string, now time.Time) {
	p.s.Phase, p.s.Message = v1alpha1.MachineProviderPhaseFailed, message
	setProviderCondition(&p.s.Conditions, readyLegacy(v1alpha1.ConditionFalse, ReasonFailed, message, now))
}

var kubernetesProvider = Kind{
	Name: "KubernetesProvider",
	Phases: Phases{v1alpha1.KubernetesProviderPhasePending, v1alpha1.KubernetesProviderPhaseReady,
		v1alpha1.KubernetesProviderPhaseFailed, PhaseDeleting},
	New: func() client.Object { return &v1alpha1.KubernetesProvider{} },
	StatusOf: func(o client.Object) Status {
		return &kubernetesProviderStatus{s: &o.(*v1alpha1.KubernetesProvider).Status}
	},
}

type kubernetesProviderStatus struct {
	s *v1alpha1.KubernetesProviderStatus
}

func (p *kubernetesProviderStatus) Phase() string { return p.s.Phase }
func (p *kubernetesProviderStatus) Value() any    { return p.s }

func (p *kubernetesProviderStatus) SetProvisioning(now time.Time) {
	p.set(v1alpha1.KubernetesProviderPhasePending, MessageProgress, now)
	setKubernetesProviderCondition(&p.s.Conditions,
		readyLegacy(v1alpha1.ConditionFalse, ReasonProvisioning, MessageProgress, now))
}

func (p *kubernetesProviderStatus) SetReady(now time.Time) {
	p.set(v1alpha1.KubernetesProviderPhaseReady, MessageReady, now)
	setKubernetesProviderCondition(&p.s.Conditions,
		readyLegacy(v1alpha1.ConditionTrue, ReasonProvisioned, MessageReady, now))
}

func (p *kubernetesProviderStatus) SetFailed(_, message string, now time.Time) {
	p.set(v1alpha1.KubernetesProviderPhaseFailed, message, now)
	setKubernetesProviderCondition(&p.s.Conditions, readyLegacy(v1alpha1.ConditionFalse, ReasonFailed, message, now))
}

func (p *kubernetesProviderStatus) set(phase, message string, now time.Time) {
	updated := metaTime(now)
	p.s.Phase, p.s.Message, p.s.LastUpdated = phase, message, &updated
}
