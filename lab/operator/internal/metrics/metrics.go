// Package metrics defines the vitistack_* metrics and registers them with controller-runtime's
// registry, so they are served on the same /metrics endpoint as controller-runtime's own.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Buckets finer than decades around the interesting range (1 ms … 60 s).
var reconcileBuckets = []float64{
	0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.075,
	0.1, 0.125, 0.15, 0.175, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.75, 0.9,
	1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 7.5, 10, 15, 20, 30, 45, 60,
}

var apiBuckets = []float64{
	0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05,
	0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10,
}

var (
	// ReconcileDuration is the wall time of the reconciler's Reconcile call per kind
	// (provisioning simulation included).
	ReconcileDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "vitistack_reconcile_duration_seconds",
		Help:    "Wall time of one Reconcile call of the VitiStack reference operator, per kind.",
		Buckets: reconcileBuckets,
	}, []string{"kind"})

	// QueueDepth is the number of provisioning requests of a kind outstanding at the simulated
	// cloud API: submitted and not yet completed (waiting for a batch to fill, or being
	// provisioned). With batchSize 1 it equals the workers currently in the provisioning sleep.
	QueueDepth = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "vitistack_queue_depth",
		Help: "Provisioning requests outstanding at the simulated cloud API (waiting for a batch or being provisioned), per kind.",
	}, []string{"kind"})

	CacheHits = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "vitistack_cache_hits_total",
		Help: "Provider-config cache lookups that hit.",
	})
	CacheMisses = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "vitistack_cache_misses_total",
		Help: "Provider-config cache lookups that missed (each costs --cache-miss-time).",
	})

	// APICallDuration times every Kubernetes API request the reconciler issues itself
	// (uncached GETs, status patches, the annotation patch), per kind of the reconciled object.
	// Client-side rate-limiter waits are included.
	APICallDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "vitistack_api_call_duration_seconds",
		Help:    "Duration of Kubernetes API requests issued by the reconciler (client-side rate-limit wait included), per kind.",
		Buckets: apiBuckets,
	}, []string{"kind"})

	// BatchWaiting is the number of requests in the open, not yet dispatched batch.
	BatchWaiting = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "vitistack_batch_waiting",
		Help: "Provisioning requests waiting in the open batch of the simulated cloud API (always 0 when batchSize is 1).",
	})
	// BatchSize is the size of each dispatched batch.
	BatchSize = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "vitistack_batch_size",
		Help:    "Number of provisioning requests in each dispatched batch (only when batchSize > 1).",
		Buckets: []float64{1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 25, 32, 50, 64, 100},
	})

	// Outcomes counts finished provisioning attempts: ready, failed (injected permanent
	// failure), error (injected transient error).
	Outcomes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vitistack_provision_outcomes_total",
		Help: "Provisioning attempts by outcome: ready, failed (injected, permanent), error (injected, transient).",
	}, []string{"kind", "outcome"})

	// ConfigInfo is 1, labelled with where the active configuration came from.
	ConfigInfo = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "vitistack_config_info",
		Help: "Always 1; labels tell where the performance config came from (configmap|missing|invalid|error).",
	}, []string{"source"})
)

// ConfigGeneration says which performance config the running process took: one series, labelled
// with the hash of the raw performance.yaml it read at start-up (config.Hash: "absent" on defaults
// for a missing ConfigMap, "unknown" when it could not be read), valued with that ConfigMap's
// resourceVersion (0 when absent). The operator re-execs on a changed ConfigMap, so the series
// changes once the new content is in force: a client that applied a ConfigMap waits for its hash.
var ConfigGeneration = prometheus.NewGaugeVec(prometheus.GaugeOpts{
	Name: "vitistack_config_generation",
	Help: "The performance config in force: hash = first 16 hex digits of sha256(performance.yaml) (absent|unknown on defaults); value = the ConfigMap's resourceVersion (0 when absent).",
}, []string{"hash"})

// SetConfigGeneration replaces the one ConfigGeneration series.
func SetConfigGeneration(hash string, generation float64) {
	ConfigGeneration.Reset()
	ConfigGeneration.WithLabelValues(hash).Set(generation)
}

// StartTime is the Unix time this executable image started. Unlike process_start_time_seconds
// it changes when the operator re-execs itself to apply a new performance config (same PID).
var StartTime = prometheus.NewGauge(prometheus.GaugeOpts{
	Name: "vitistack_start_time_seconds",
	Help: "Unix time the operator (re-)started; changes on a config re-exec, unlike process_start_time_seconds.",
})

func init() {
	StartTime.SetToCurrentTime()
	crmetrics.Registry.MustRegister(ReconcileDuration, QueueDepth, CacheHits, CacheMisses,
		APICallDuration, BatchWaiting, BatchSize, Outcomes, ConfigInfo, StartTime, ConfigGeneration)
}
