package kinds

import (
	"time"

	"github.com/vitistack/common/pkg/v1alpha1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

var machine = Kind{
	Name: "Machine",
	Phases: Phases{v1alpha1.MachinePhaseCreating, v1alpha1.MachinePhaseRunning, v1alpha1.MachinePhaseFailed,
		v1alpha1.MachinePhaseTerminating},
	New: func() client.Object { return &v1alpha1.Machine{} },
	StatusOf: func(o client.Object) Status {
		m := o.(*v1alpha1.Machine)
		return &machineStatus{s: &m.Status, spec: &m.Spec}
	},
}

type machineStatus struct {
	s    *v1alpha1.MachineStatus
	spec *v1alpha1.MachineSpec
}

func (m *machineStatus) Phase() string { return m.s.Phase }
func (m *machineStatus) Value() any    { return m.s }

func (m *machineStatus) SetProvisioning(now time.Time) {
	m.s.Phase = v1alpha1.MachinePhaseCreating
	m.s.State = "provisioning"
	m.s.Provider = m.spec.Provider
	m.s.Region, m.s.Zone = m.spec.ProviderConfig.Region, m.spec.ProviderConfig.Zone
	m.s.LastUpdated = metaTime(now)
	setMachineCondition(&m.s.Conditions, readyLegacy(v1alpha1.ConditionFalse, ReasonProvisioning, MessageProgress, now))
}

func (m *machineStatus) SetReady(now time.Time) {
	m.s.Phase = v1alpha1.MachinePhaseRunning
	m.s.State = "running"
	m.s.Message = MessageReady
	m.s.Architecture = m.spec.OS.Architecture
	m.s.CPUs = m.spec.CPU.Cores * max(m.spec.CPU.Sockets, 1)
	m.s.Memory = m.spec.Memory
	m.s.LastUpdated = metaTime(now)
	m.s.CreationTime = &m.s.LastUpdated
	m.s.FailureReason, m.s.FailureMessage = nil, nil
	setMachineCondition(&m.s.Conditions, readyLegacy(v1alpha1.ConditionTrue, ReasonProvisioned, MessageReady, now))
}

func (m *machineStatus) SetFailed(reason, message string, now time.Time) {
	m.s.Phase = v1alpha1.MachinePhaseFailed
	m.s.State = "failed"
	m.s.Message = message
	m.s.FailureReason, m.s.FailureMessage = &reason, &message
	m.s.LastUpdated = metaTime(now)
	setMachineCondition(&m.s.Conditions, readyLegacy(v1alpha1.ConditionFalse, ReasonFailed, message, now))
}

// MachineClass has phases in its status but no constants for them in the module: Pending, Ready
// and Failed, as the module's other kinds name them.
var machineClass = Kind{
	Name:   "MachineClass",
	Phases: Phases{"Pending", "Ready", "Failed", PhaseDeleting},
	New:    func() client.Object { return &v1alpha1.MachineClass{} },
	StatusOf: func(o client.Object) Status {
		c := o.(*v1alpha1.MachineClass)
		return &machineClassStatus{s: &c.Status, name: c.Name}
	},
}

type machineClassStatus struct {
	s    *v1alpha1.MachineClassStatus
	name string
}

func (c *machineClassStatus) Phase() string { return c.s.Phase }
func (c *machineClassStatus) Value() any    { return c.s }

func (c *machineClassStatus) SetProvisioning(now time.Time) {
	c.set("Pending", "provisioning", MessageProgress, now)
}
func (c *machineClassStatus) SetReady(now time.Time) { c.set("Ready", "ok", MessageReady, now) }
func (c *machineClassStatus) SetFailed(_, message string, now time.Time) {
	c.set("Failed", "error", message, now)
}

func (c *machineClassStatus) set(phase, status, message string, now time.Time) {
	c.s.Name, c.s.Phase, c.s.Status, c.s.Message = c.name, phase, status, message
	if c.s.Created == "" {
		c.s.Created = now.Format(time.RFC3339)
	}
}
