package kinds

import (
	"time"

	"github.com/vitistack/common/pkg/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

var vitistack = Kind{
	Name: "Vitistack",
	Phases: Phases{v1alpha1.VitistackPhaseProvisioning, v1alpha1.VitistackPhaseReady,
		v1alpha1.VitistackPhaseFailed, v1alpha1.VitistackPhaseDeleting},
	New: func() client.Object { return &v1alpha1.Vitistack{} },
	StatusOf: func(o client.Object) Status {
		v := o.(*v1alpha1.Vitistack)
		return &vitistackStatus{v: v}
	},
}

type vitistackStatus struct{ v *v1alpha1.Vitistack }

func (s *vitistackStatus) Phase() string { return s.v.Status.Phase }
func (s *vitistackStatus) Value() any    { return &s.v.Status }

func (s *vitistackStatus) SetProvisioning(now time.Time) {
	s.set(v1alpha1.VitistackPhaseProvisioning, now)
	setReady(&s.v.Status.Conditions, metav1.ConditionFalse, ReasonProvisioning, MessageProgress, s.v.Generation)
}

func (s *vitistackStatus) SetReady(now time.Time) {
	s.set(v1alpha1.VitistackPhaseReady, now)
	discovered := metaTime(now)
	providers := make([]v1alpha1.VitistackDiscoveredProvider, 0, len(s.v.Spec.MachineProviders))
	for _, p := range s.v.Spec.MachineProviders {
		providers = append(providers, v1alpha1.VitistackDiscoveredProvider{
			Name: p.Name, Namespace: p.Namespace, Ready: true, DiscoveredAt: &discovered})
	}
	s.v.Status.MachineProviders = providers
	s.v.Status.MachineProviderCount = int32(len(providers))
	setReady(&s.v.Status.Conditions, metav1.ConditionTrue, ReasonProvisioned, MessageReady, s.v.Generation)
}

func (s *vitistackStatus) SetFailed(_, message string, now time.Time) {
	s.set(v1alpha1.VitistackPhaseFailed, now)
	setReady(&s.v.Status.Conditions, metav1.ConditionFalse, ReasonFailed, message, s.v.Generation)
}

func (s *vitistackStatus) set(phase string, now time.Time) {
	st, spec := &s.v.Status, &s.v.Spec
	st.Phase = phase
	st.DisplayName, st.Region, st.Zone = spec.DisplayName, spec.Region, spec.Zone
	st.Infrastructure, st.Description = spec.Infrastructure, spec.Description
	st.ObservedGeneration = s.v.Generation
	reconciled := metaTime(now)
	st.LastReconcileTime = &reconciled
}
