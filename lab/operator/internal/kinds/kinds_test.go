package kinds

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vitistack/common/pkg/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestParse(t *testing.T) {
	k, err := Parse("machine, Vitistack,MACHINE,networknamespace")
	if err != nil || strings.Join(NamesOf(k), ",") != "Machine,Vitistack,NetworkNamespace" {
		t.Fatalf("%v %v", NamesOf(k), err)
	}
	if _, err := Parse("Machine,Pod"); err == nil || !strings.Contains(err.Error(), "known: Machine,MachineClass") {
		t.Errorf("want error naming the known kinds for Pod, got %v", err)
	}
	if _, err := Parse(" , "); err == nil {
		t.Error("want error for empty")
	}
}

// Every kind moves through its own phases, and a status read back sees the phase it wrote.
func TestEveryKindReportsItsPhases(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, k := range All {
		obj := k.New()
		st := k.StatusOf(obj)
		st.SetProvisioning(now)
		if got := k.StatusOf(obj).Phase(); got != k.Phases.Provisioning {
			t.Errorf("%s provisioning: phase %q", k.Name, got)
		}
		st.SetReady(now.Add(time.Second))
		if got := k.StatusOf(obj).Phase(); got != k.Phases.Ready {
			t.Errorf("%s ready: phase %q", k.Name, got)
		}
		st.SetFailed("SimulatedFailure", "boom", now)
		if got := k.StatusOf(obj).Phase(); got != k.Phases.Failed {
			t.Errorf("%s failed: phase %q", k.Name, got)
		}
		if _, err := json.Marshal(st.Value()); err != nil {
			t.Errorf("%s: %v", k.Name, err)
		}
	}
}

func TestMachineConditionKeepsTransitionTimeWhileStatusHolds(t *testing.T) {
	m := &v1alpha1.Machine{}
	st := machine.StatusOf(m)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	st.SetProvisioning(t0)
	st.SetProvisioning(t0.Add(time.Minute))
	if len(m.Status.Conditions) != 1 || !m.Status.Conditions[0].LastTransitionTime.Time.Equal(t0) {
		t.Fatalf("same status must keep lastTransitionTime: %+v", m.Status.Conditions)
	}
	st.SetReady(t0.Add(2 * time.Minute))
	c := m.Status.Conditions[0]
	if c.Type != "Ready" || c.Status != v1alpha1.ConditionTrue || !c.LastTransitionTime.Time.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("status change must move lastTransitionTime: %+v", c)
	}
	if m.Status.FailureMessage != nil || m.Status.Phase != v1alpha1.MachinePhaseRunning {
		t.Errorf("ready machine: %+v", m.Status)
	}
}

// The CRD requires every field of a KubernetesCluster's status.state: none may be written as null.
func TestClusterStatusHasNoNullsWhereTheCRDRequiresValues(t *testing.T) {
	c := &v1alpha1.KubernetesCluster{ObjectMeta: metav1.ObjectMeta{Name: "kc", Namespace: "ns"}}
	c.Spec.Topology.Version = "v1.37.2"
	c.Spec.Topology.ControlPlane.Replicas = 3
	c.Spec.Topology.Workers.NodePools = []v1alpha1.KubernetesClusterNodePool{{Name: "default", Replicas: 2}}
	kubernetesCluster.StatusOf(c).SetReady(time.Now())
	raw, err := json.Marshal(kubernetesCluster.StatusOf(c).Value())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "null") {
		t.Errorf("status holds null: %s", raw)
	}
	if c.Status.Workers != 2 || len(c.Status.State.Cluster.ControlPlaneStatus.Nodes) != 3 || c.Status.Conditions[0].Status != "ok" {
		t.Errorf("status: %+v", c.Status)
	}
}

// A deleted object shows a phase of its own while its finalizer is held.
func TestEveryKindHasADeprovisioningPhase(t *testing.T) {
	for _, k := range All {
		p := k.Phases
		if p.Deprovisioning == "" || p.Deprovisioning == p.Ready || p.Deprovisioning == p.Provisioning || p.Deprovisioning == p.Failed {
			t.Errorf("%s: deprovisioning phase %q", k.Name, p.Deprovisioning)
		}
	}
}
