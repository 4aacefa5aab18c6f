package kinds

import (
	"time"

	"github.com/vitistack/common/pkg/operator/conditions"
	"github.com/vitistack/common/pkg/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The condition every kind reports; its status follows the kind's own convention.
const readyCondition = "Ready"

// condition has the fields of the module's MachineCondition, ProviderCondition and
// KubernetesProviderCondition (same fields, different tags), so each converts to and from it.
type condition struct {
	Type               string
	Status             string
	LastTransitionTime metav1.Time
	Reason             string
	Message            string
}

// setLegacyCondition sets a condition in a slice of one of the module's own condition types with
// the rules of its pkg/operator/conditions: the transition time changes only with the status.
func setLegacyCondition[C any](conds *[]C, to func(C) condition, from func(condition) C, c condition) {
	for i, old := range *conds {
		o := to(old)
		if o.Type != c.Type {
			continue
		}
		if o.Status == c.Status {
			c.LastTransitionTime = o.LastTransitionTime
		}
		(*conds)[i] = from(c)
		return
	}
	*conds = append(*conds, from(c))
}

func readyLegacy(status, reason, message string, now time.Time) condition {
	return condition{Type: readyCondition, Status: status, Reason: reason, Message: message,
		LastTransitionTime: metav1.NewTime(now)}
}

func setMachineCondition(conds *[]v1alpha1.MachineCondition, c condition) {
	setLegacyCondition(conds,
		func(x v1alpha1.MachineCondition) condition { return condition(x) },
		func(x condition) v1alpha1.MachineCondition { return v1alpha1.MachineCondition(x) }, c)
}

func setProviderCondition(conds *[]v1alpha1.ProviderCondition, c condition) {
	setLegacyCondition(conds,
		func(x v1alpha1.ProviderCondition) condition { return condition(x) },
		func(x condition) v1alpha1.ProviderCondition { return v1alpha1.ProviderCondition(x) }, c)
}

func setKubernetesProviderCondition(conds *[]v1alpha1.KubernetesProviderCondition, c condition) {
	setLegacyCondition(conds,
		func(x v1alpha1.KubernetesProviderCondition) condition { return condition(x) },
		func(x condition) v1alpha1.KubernetesProviderCondition {
			return v1alpha1.KubernetesProviderCondition(x)
		}, c)
}

// setReady sets the Ready condition of a kind that uses metav1.Condition, through the module's
// conditions package.
func setReady(conds *[]metav1.Condition, status metav1.ConditionStatus, reason, message string, generation int64) {
	c := conditions.New(readyCondition, status, reason, message, generation)
	conditions.SetOrUpdateCondition(conds, &c)
}

func metaTime(now time.Time) metav1.Time { return metav1.NewTime(now) }
