package reconciler

import (
	"testing"
	"time"

	"github.com/vitistack/common/pkg/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
