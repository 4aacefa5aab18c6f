package reconciler

import (
	"testing"
	"time"

	"github.com/vitistack/common/pkg/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/vitistack/vitictl/lab/operator/internal/simulate"
)

func TestControllerName(t *testing.T) {
	if ControllerName("KubernetesCluster") != "kubernetescluster" {
		t.Error(ControllerName("KubernetesCluster"))
	}
}

func TestCacheKey(t *testing.T) {
	vs := &v1alpha1.Vitistack{}
	if CacheKey(vs) != "cluster" {
		t.Error(CacheKey(vs))
	}
	m := &v1alpha1.Machine{ObjectMeta: metav1.ObjectMeta{Namespace: "ns1"}}
	if CacheKey(m) != "namespace/ns1" {
		t.Error(CacheKey(m))
	}
	m.Spec.ProviderConfig.Name = "kubevirt-1"
	if CacheKey(m) != "provider/kubevirt-1" {
		t.Error(CacheKey(m))
	}
	if got := time.Date(2026, 1, 2, 3, 4, 5, 7_000_000, time.UTC).Format(TimeFormat); got != "2026-01-02T03:04:05.007Z" {
		t.Error(got)
	}
}

func machineWith(generation int64, annotations map[string]string) *v1alpha1.Machine {
	return &v1alpha1.Machine{ObjectMeta: metav1.ObjectMeta{Generation: generation, Annotations: annotations}}
}

func TestNeedsReprovisioning(t *testing.T) {
	cases := []struct {
		name        string
		obj         *v1alpha1.Machine
		observed    int64
		reprovision bool
	}{
		{"created by an operator that did not stamp", machineWith(1, nil), 1, false},
		{"spec changed, unstamped", machineWith(2, nil), 1, true},
		{"spec changed after stamp", machineWith(3, map[string]string{ObservedGenerationAnnotation: "2"}), 2, true},
		{"up to date", machineWith(3, map[string]string{ObservedGenerationAnnotation: "3"}), 3, false},
		{"unreadable stamp counts as 1", machineWith(2, map[string]string{ObservedGenerationAnnotation: "x"}), 1, true},
	}
	for _, c := range cases {
		if got := ObservedGeneration(c.obj); got != c.observed {
			t.Errorf("%s: observed %d, want %d", c.name, got, c.observed)
		}
		if got := NeedsReprovisioning(c.obj); got != c.reprovision {
			t.Errorf("%s: reprovision %v, want %v", c.name, got, c.reprovision)
		}
	}
}

func TestDeprovisionTime(t *testing.T) {
	rng := simulate.NewRNG(1)
	fixed := func(spec string) simulate.Distribution {
		d, err := simulate.ParseDistribution(spec, rng)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	sim := &Sim{Deprovision: fixed("fixed:2s"), DeprovisionBy: map[string]simulate.Distribution{"Vitistack": fixed("fixed:5s")}}
	if d, _ := sim.DeprovisionTime("Machine", machineWith(1, nil)); d != 2*time.Second {
		t.Error("default:", d)
	}
	if d, _ := sim.DeprovisionTime("Vitistack", machineWith(1, nil)); d != 5*time.Second {
		t.Error("per kind:", d)
	}
	override := machineWith(1, map[string]string{DeprovisionTimeAnnotation: "1h"})
	if d, _ := sim.DeprovisionTime("Vitistack", override); d != time.Hour {
		t.Error("annotation:", d)
	}
	if _, err := sim.DeprovisionTime("Machine", machineWith(1, map[string]string{DeprovisionTimeAnnotation: "-1s"})); err == nil {
		t.Error("negative duration accepted")
	}
	if d, _ := (&Sim{}).DeprovisionTime("Machine", machineWith(1, nil)); d != 0 {
		t.Error("no distribution:", d)
	}
}

func TestDeprovisionRemaining(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if _, planned, _ := DeprovisionRemaining(machineWith(1, nil), now); planned {
		t.Error("planned without annotation")
	}
	until := machineWith(1, map[string]string{DeprovisionUntilAnnotation: now.Add(1500 * time.Millisecond).Format(TimeFormat)})
	if d, planned, err := DeprovisionRemaining(until, now); !planned || err != nil || d != 1500*time.Millisecond {
		t.Error(d, planned, err)
	}
	if d, _, _ := DeprovisionRemaining(until, now.Add(time.Minute)); d != 0 {
		t.Error("past deadline:", d)
	}
	bad := machineWith(1, map[string]string{DeprovisionUntilAnnotation: "soon"})
	if _, _, err := DeprovisionRemaining(bad, now); err == nil {
		t.Error("unreadable deadline accepted")
	}
}

func TestInjected(t *testing.T) {
	for value, want := range map[string]string{"": "", "false": "", "disk stuck": "disk stuck"} {
		if got := injected(machineWith(1, map[string]string{InjectDeleteFailureAnnotation: value}), InjectDeleteFailureAnnotation); got != want {
			t.Errorf("%q: %q", value, got)
		}
	}
}
