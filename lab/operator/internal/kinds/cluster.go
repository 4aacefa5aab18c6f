package kinds

import (
	"fmt"
	"time"

	"github.com/vitistack/common/pkg/v1alpha1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// KubernetesCluster's phases as its status documents them (the module has no constants for
// them); its conditions use the statuses ok, working and error.
var kubernetesCluster = Kind{
	Name:   "KubernetesCluster",
	Phases: Phases{"Provisioning", "Running", "Failed", PhaseDeleting},
	New:    func() client.Object { return &v1alpha1.KubernetesCluster{} },
	StatusOf: func(o client.Object) Status {
		return &clusterStatus{c: o.(*v1alpha1.KubernetesCluster)}
	},
}

// ClusterReadyCondition is the condition type of a KubernetesCluster's readiness.
const ClusterReadyCondition = "ClusterReady"

// LastUpdatedBy names the operator in a KubernetesCluster's status.
const LastUpdatedBy = "vitictl-reference-operator"

type clusterStatus struct{ c *v1alpha1.KubernetesCluster }

func (s *clusterStatus) Phase() string { return s.c.Status.Phase }
func (s *clusterStatus) Value() any    { return &s.c.Status }

func (s *clusterStatus) SetProvisioning(now time.Time) {
	s.set("Provisioning", "working", ReasonProvisioning, MessageProgress, now)
}
func (s *clusterStatus) SetReady(now time.Time) {
	s.set("Running", "ok", ReasonProvisioned, MessageReady, now)
}
func (s *clusterStatus) SetFailed(_, message string, now time.Time) {
	s.set("Failed", "error", ReasonFailed, message, now)
}

// set writes the whole status: the CRD requires every field of status.state, so a cluster's
// state is reported in full from the first write on, as the topology asks for it.
func (s *clusterStatus) set(phase, condition, reason, message string, now time.Time) {
	st, topology := &s.c.Status, &s.c.Spec.Topology
	st.Phase, st.Message = phase, message
	setClusterCondition(&st.Conditions, condition, reason, message, now)
	state := &st.State
	if state.Created.IsZero() {
		state.Created = metav1.NewTime(now)
	}
	state.LastUpdated, state.LastUpdatedBy = metav1.NewTime(now), LastUpdatedBy
	state.Versions = []v1alpha1.KubernetesClusterVersion{{Name: "kubernetes", Version: topology.Version, Branch: ""}}
	state.Endpoints = []v1alpha1.KubernetesClusterEndpoint{
		{Name: "api", Address: fmt.Sprintf("https://%s.%s.cluster.invalid:6443", s.c.Name, s.c.Namespace)},
	}
	cluster := &state.Cluster
	cluster.ExternalId = s.c.Spec.Cluster.ClusterUID
	cluster.Resources = noResources()
	cp := topology.ControlPlane
	cluster.ControlPlaneStatus = v1alpha1.KubernetesClusterControlPlaneStatus{
		Status: condition, Message: message, Scale: cp.Replicas, MachineClass: cp.MachineClass,
		Resources: noResources(), Nodes: nodeNames(s.c.Name+"-cp", cp.Replicas),
	}
	pools := make([]v1alpha1.KubernetesClusterNodePoolStatus, 0, len(topology.Workers.NodePools))
	workers := 0
	for _, pool := range topology.Workers.NodePools {
		workers += pool.Replicas
		pools = append(pools, v1alpha1.KubernetesClusterNodePoolStatus{
			Name: pool.Name, Status: condition, Message: message, Scale: pool.Replicas,
			MachineClass: pool.MachineClass, Autoscaling: pool.Autoscaling.KubernetesClusterAutoscalingConfig,
			Resources: noResources(), Nodes: nodeNames(s.c.Name+"-"+pool.Name, pool.Replicas),
		})
	}
	cluster.NodePools = pools
	st.Workers = workers
}

func setClusterCondition(conds *[]v1alpha1.KubernetesClusterCondition, status, reason, message string, now time.Time) {
	c := v1alpha1.KubernetesClusterCondition{Type: ClusterReadyCondition, Status: status, Reason: reason,
		Message: message, LastTransitionTime: now.Format(time.RFC3339)}
	for i := range *conds {
		if (*conds)[i].Type != c.Type {
			continue
		}
		if (*conds)[i].Status == c.Status {
			c.LastTransitionTime = (*conds)[i].LastTransitionTime
		}
		(*conds)[i] = c
		return
	}
	*conds = append(*conds, c)
}

// noResources reports zero usage; every resource is present, as the CRD requires.
func noResources() v1alpha1.KubernetesClusterStatusClusterStatusResources {
	zero := func() v1alpha1.KubernetesClusterStatusClusterStatusResource {
		return v1alpha1.KubernetesClusterStatusClusterStatusResource{
			Capacity: resource.MustParse("0"), Used: resource.MustParse("0")}
	}
	return v1alpha1.KubernetesClusterStatusClusterStatusResources{CPU: zero(), Memory: zero(), GPU: zero(), Disk: zero()}
}

func nodeNames(prefix string, n int) []string {
	out := make([]string, 0, max(n, 0))
	for i := range max(n, 0) {
		out = append(out, fmt.Sprintf("%s-%d", prefix, i))
	}
	return out
}
