package reconciler

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestParseKinds(t *testing.T) {
	k, err := ParseKinds("machine, Vitistack,MACHINE")
	if err != nil || len(k) != 2 || k[0] != "Machine" || k[1] != "Vitistack" {
		t.Fatalf("%v %v", k, err)
	}
	if _, err := ParseKinds("Machine,Pod"); err == nil {
		t.Error("want error for Pod")
	}
	if _, err := ParseKinds(" , "); err == nil {
		t.Error("want error for empty")
	}
	if ControllerName("KubernetesCluster") != "kubernetescluster" {
		t.Error(ControllerName("KubernetesCluster"))
	}
}

func TestSetConditionKeepsTransitionTime(t *testing.T) {
	u := &unstructured.Unstructured{Object: map[string]any{}}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	setCondition(u, "Ready", "False", "Provisioning", "", t0)
	setCondition(u, "Other", "True", "X", "", t0)
	setCondition(u, "Ready", "False", "StillProvisioning", "", t0.Add(time.Minute))
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	if len(conds) != 2 {
		t.Fatalf("conditions %v", conds)
	}
	ready := conds[1].(map[string]any)
	if ready["reason"] != "StillProvisioning" || ready["lastTransitionTime"] != "2026-01-02T03:04:05Z" {
		t.Errorf("same status must keep lastTransitionTime: %v", ready)
	}
	setCondition(u, "Ready", "True", "Provisioned", "", t0.Add(2*time.Minute))
	conds, _, _ = unstructured.NestedSlice(u.Object, "status", "conditions")
	ready = conds[1].(map[string]any)
	if ready["status"] != "True" || ready["lastTransitionTime"] != "2026-01-02T03:06:05Z" {
		t.Errorf("status change must move lastTransitionTime: %v", ready)
	}
}

func TestCacheKey(t *testing.T) {
	u := &unstructured.Unstructured{Object: map[string]any{}}
	if CacheKey(u) != "cluster" {
		t.Error(CacheKey(u))
	}
	u.SetNamespace("ns1")
	if CacheKey(u) != "namespace/ns1" {
		t.Error(CacheKey(u))
	}
	_ = unstructured.SetNestedField(u.Object, "kubevirt-1", "spec", "providerConfig", "name")
	if CacheKey(u) != "provider/kubevirt-1" {
		t.Error(CacheKey(u))
	}
	if got := time.Date(2026, 1, 2, 3, 4, 5, 7_000_000, time.UTC).Format(TimeFormat); got != "2026-01-02T03:04:05.007Z" {
		t.Error(got)
	}
}
