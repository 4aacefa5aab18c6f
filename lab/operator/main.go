// Command operator is vitictl's reference VitiStack operator: the system under test of the lab.
// It reconciles the vitistack.io/v1alpha1 CRDs with simulated provisioning and implements the
// knobs of the vitistack-performance-config ConfigMap. See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crconfig "sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	crwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/vitistack/vitictl/lab/operator/internal/config"
	"github.com/vitistack/vitictl/lab/operator/internal/kinds"
	"github.com/vitistack/vitictl/lab/operator/internal/metrics"
	"github.com/vitistack/vitictl/lab/operator/internal/reconciler"
	"github.com/vitistack/vitictl/lab/operator/internal/simulate"
	"github.com/vitistack/vitictl/lab/operator/internal/webhook"
)

type options struct {
	kinds              string
	configNamespace    string
	configName         string
	watchConfig        bool
	provisionTime      string
	apiCalls           int
	failureRate        float64
	errorRate          float64
	batchBase          time.Duration
	batchPerItem       time.Duration
	cacheMissTime      time.Duration
	seed               uint64
	generationOnly     bool
	metricsAddr        string
	probeAddr          string
	pprofAddr          string
	webhookHost        string
	webhookPort        int
	webhookCertDir     string
	webhookLatency     string
	leaderElect        bool
	leaderElectionID   string
	gracefulShutdown   time.Duration
	configReadDeadline time.Duration
	provisionByKind    kindDistributions
	finalizers         bool
	deprovisionTime    string
	deprovisionByKind  kindDistributions
	failDeleteRate     float64
}

func main() {
	os.Exit(run())
}

func run() int {
	var o options
	fs := flag.CommandLine
	fs.StringVar(&o.kinds, "kinds", strings.Join(kinds.Names(), ","), "Kinds to reconcile (comma-separated, one controller each).")
	fs.StringVar(&o.configNamespace, "config-namespace", "vitistack-system", "Namespace of the performance ConfigMap.")
	fs.StringVar(&o.configName, "config-name", "vitistack-performance-config", "Name of the performance ConfigMap (key "+config.Key+").")
	fs.BoolVar(&o.watchConfig, "watch-config", true, "Watch the performance ConfigMap and re-exec the process when its content changes.")
	fs.StringVar(&o.provisionTime, "provision-time", "lognormal:median=200ms,p99=1s", "Simulated provisioning time per object when batchSize is 1. Syntax: "+simulate.DistributionSyntax)
	fs.Var(&o.provisionByKind, "provision-time-for", "KIND=DISTRIBUTION: the provisioning time of one kind, instead of --provision-time (repeatable).")
	fs.BoolVar(&o.finalizers, "finalizers", true, "Hold the finalizer "+reconciler.Finalizer+" on provisioned objects until they are deleted.")
	fs.StringVar(&o.deprovisionTime, "deprovision-time", "fixed:0s", "Simulated deprovisioning time of a deleted object: the finalizer is held this long in the kind's deprovisioning phase (0 = released at once). Syntax: "+simulate.DistributionSyntax)
	fs.Var(&o.deprovisionByKind, "deprovision-time-for", "KIND=DISTRIBUTION: the deprovisioning time of one kind, instead of --deprovision-time (repeatable).")
	fs.Float64Var(&o.failDeleteRate, "fail-delete-rate", 0, "Probability that a deprovisioning fails permanently (failed phase, finalizer kept).")
	fs.IntVar(&o.apiCalls, "api-calls-per-reconcile", 2, "Uncached GETs of the object per provisioning reconcile (the first one is the live read the reconcile decides on; 0 = decide on the informer cache).")
	fs.Float64Var(&o.failureRate, "failure-rate", 0, "Probability that a provisioning attempt fails permanently (phase Failed).")
	fs.Float64Var(&o.errorRate, "error-rate", 0, "Probability that a provisioning attempt returns a transient error (requeue).")
	fs.DurationVar(&o.batchBase, "batch-base-time", 200*time.Millisecond, "Batch provisioning time s0 (batch of B takes s0 + s1*B); only when batchSize > 1.")
	fs.DurationVar(&o.batchPerItem, "batch-per-item-time", 20*time.Millisecond, "Batch provisioning time per item s1; only when batchSize > 1.")
	fs.DurationVar(&o.cacheMissTime, "cache-miss-time", 20*time.Millisecond, "Cost of a provider-config cache miss.")
	fs.Uint64Var(&o.seed, "seed", 0, "Random seed of the simulation (0 = random).")
	fs.BoolVar(&o.generationOnly, "generation-changed-only", true, "Ignore update events that do not change metadata.generation (status and metadata-only updates).")
	fs.StringVar(&o.metricsAddr, "metrics-bind-address", "127.0.0.1:8080", "Metrics endpoint (plain HTTP); \"0\" disables.")
	fs.StringVar(&o.probeAddr, "health-probe-bind-address", "127.0.0.1:8081", "Health probe endpoint (/healthz, /readyz); \"0\" disables.")
	fs.StringVar(&o.pprofAddr, "pprof-bind-address", "127.0.0.1:6060", "pprof endpoint (/debug/pprof/); \"0\" disables (so does monitoring.enableProfiling=false).")
	fs.StringVar(&o.webhookHost, "webhook-host", "127.0.0.1", "Address the validating webhook server listens on.")
	fs.IntVar(&o.webhookPort, "webhook-port", 8443, "Port of the validating webhook server; 0 disables it.")
	fs.StringVar(&o.webhookCertDir, "webhook-cert-dir", "", "Directory with tls.crt and tls.key for the webhook server (default: controller-runtime's, $TMPDIR/k8s-webhook-server/serving-certs).")
	fs.StringVar(&o.webhookLatency, "webhook-latency", "fixed:0s", "Simulated processing time of each admission request (same syntax as --provision-time).")
	fs.BoolVar(&o.leaderElect, "leader-elect", false, "Enable leader election (lease in --config-namespace).")
	fs.StringVar(&o.leaderElectionID, "leader-election-id", "vitistack-reference-operator.lab.vitictl.io", "Leader election lease name.")
	fs.DurationVar(&o.gracefulShutdown, "graceful-shutdown-timeout", 10*time.Second, "How long runnables get to stop on shutdown or re-exec.")
	fs.DurationVar(&o.configReadDeadline, "config-read-timeout", 30*time.Second, "How long to retry reading the performance ConfigMap at start-up before using defaults.")
	zapOpts := zap.Options{}
	zapOpts.BindFlags(fs)
	flag.Parse()

	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	setupLog := ctrl.Log.WithName("setup")
	fail := func(msg string, err error, kv ...any) int {
		setupLog.Error(err, msg, kv...)
		return 1
	}

	enabled, err := kinds.Parse(o.kinds)
	if err != nil {
		return fail("invalid --kinds", err)
	}
	rng := simulate.NewRNG(o.seed)
	dist, err := simulate.ParseDistribution(o.provisionTime, rng)
	if err != nil {
		return fail("invalid --provision-time", err)
	}
	provisionBy, err := o.provisionByKind.distributions(rng)
	if err != nil {
		return fail("invalid --provision-time-for", err)
	}
	deprovision, err := simulate.ParseDistribution(o.deprovisionTime, rng)
	if err != nil {
		return fail("invalid --deprovision-time", err)
	}
	deprovisionBy, err := o.deprovisionByKind.distributions(rng)
	if err != nil {
		return fail("invalid --deprovision-time-for", err)
	}
	whLatency, err := simulate.ParseDistribution(o.webhookLatency, rng)
	if err != nil {
		return fail("invalid --webhook-latency", err)
	}
	if o.apiCalls < 0 || o.failureRate < 0 || o.failureRate > 1 || o.errorRate < 0 || o.errorRate > 1 ||
		o.failDeleteRate < 0 || o.failDeleteRate > 1 {
		return fail("invalid flags", errors.New("--api-calls-per-reconcile must be >= 0, --failure-rate, --error-rate and --fail-delete-rate in [0,1]"))
	}

	restCfg, err := ctrl.GetConfig()
	if err != nil {
		return fail("no kubeconfig", err)
	}
	signalCtx := ctrl.SetupSignalHandler()

	// Performance config: read once at start-up with an uncached reader.
	apiReader, err := client.New(restCfg, client.Options{})
	if err != nil {
		return fail("client", err)
	}
	snap, readErr := config.ReadWithRetry(signalCtx, apiReader, o.configNamespace, o.configName, o.configReadDeadline)
	content, found := snap.Content, snap.Found
	perf := config.Defaults()
	source := config.SourceConfigMap
	cmRef := o.configNamespace + "/" + o.configName
	switch {
	case readErr != nil:
		source = config.SourceError
		setupLog.Error(readErr, "cannot read the performance ConfigMap, using defaults", "configmap", cmRef)
	case !found:
		source = config.SourceMissing
		setupLog.Info("performance ConfigMap or its key is missing, using defaults", "configmap", cmRef, "key", config.Key)
	default:
		p, warnings, perr := config.Parse(content)
		if perr != nil {
			source = config.SourceInvalid
			setupLog.Error(perr, "performance config is invalid, using defaults", "configmap", cmRef)
		} else {
			perf = p
		}
		for _, w := range warnings {
			setupLog.Info("performance config: "+w, "configmap", cmRef)
		}
	}
	metrics.ConfigInfo.WithLabelValues(string(source)).Set(1)
	if readErr != nil {
		metrics.SetConfigGeneration(config.HashUnknown, 0)
	} else {
		metrics.SetConfigGeneration(config.Hash(content, found), snap.Generation())
	}
	setupLog.Info("effective performance config", "source", source, "config", perf.String())

	applyGC(perf, setupLog.Info)

	// Client rate limit (controller-runtime creates one REST client, hence one limiter, per GVK).
	if perf.QPS != 0 {
		restCfg.QPS = perf.QPS
		restCfg.Burst = perf.Burst
	}
	pprofAddr := o.pprofAddr
	if !perf.EnableProfiling {
		pprofAddr = "0"
	}

	mgrOpts := ctrl.Options{
		Metrics:                       metricsserver.Options{BindAddress: o.metricsAddr},
		HealthProbeBindAddress:        o.probeAddr,
		PprofBindAddress:              pprofAddr,
		LeaderElection:                o.leaderElect,
		LeaderElectionID:              o.leaderElectionID,
		LeaderElectionNamespace:       o.configNamespace,
		LeaderElectionReleaseOnCancel: true,
		GracefulShutdownTimeout:       &o.gracefulShutdown,
		Scheme:                        scheme,
		Controller:                    crconfig.Controller{SkipNameValidation: ptr.To(true)},
	}
	if o.webhookPort > 0 {
		dir := o.webhookCertDir
		if dir == "" {
			dir = filepath.Join(os.TempDir(), "k8s-webhook-server", "serving-certs")
		}
		for _, f := range []string{"tls.crt", "tls.key"} {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				return fail("webhook server enabled but its certificate is missing: pass --webhook-cert-dir or --webhook-port=0", err)
			}
		}
		mgrOpts.WebhookServer = crwebhook.NewServer(crwebhook.Options{Host: o.webhookHost, Port: o.webhookPort, CertDir: dir})
	}
	mgr, err := ctrl.NewManager(restCfg, mgrOpts)
	if err != nil {
		return fail("unable to create manager", err)
	}

	sim := &reconciler.Sim{
		Provision:           dist,
		ProvisionBy:         provisionBy,
		Finalizers:          o.finalizers,
		Deprovision:         deprovision,
		DeprovisionBy:       deprovisionBy,
		DeleteFailureRate:   o.failDeleteRate,
		RNG:                 rng,
		APICalls:            o.apiCalls,
		FailureRate:         o.failureRate,
		ErrorRate:           o.errorRate,
		RequeueDelay:        perf.RequeueDelay,
		RequeueDelayOnError: perf.RequeueDelayOnError,
		Cache: &simulate.ProviderCache{
			Enabled: perf.CacheEnabled, TTL: perf.CacheTTL, MaxSize: perf.CacheMaxSize, MissCost: o.cacheMissTime,
			OnHit: metrics.CacheHits.Inc, OnMiss: metrics.CacheMisses.Inc,
		},
	}
	if perf.BatchSize > 1 {
		sim.Batcher = &simulate.Batcher{
			Size: perf.BatchSize, Timeout: perf.BatchTimeout, Base: o.batchBase, PerItem: o.batchPerItem,
			OnWaiting:  func(n int) { metrics.BatchWaiting.Set(float64(n)) },
			OnDispatch: func(n int, _ time.Duration) { metrics.BatchSize.Observe(float64(n)) },
		}
	}

	for _, kind := range enabled {
		r := &reconciler.Reconciler{Kind: kind, Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Sim: sim}
		var forOpts []builder.ForOption
		if o.generationOnly {
			// a deletion must reach the reconciler to release the finalizer
			forOpts = append(forOpts, builder.WithPredicates(predicate.Or[client.Object](
				predicate.GenerationChangedPredicate{}, deletionStarted)))
		}
		err := ctrl.NewControllerManagedBy(mgr).
			Named(reconciler.ControllerName(kind.Name)).
			For(kind.New(), forOpts...).
			WithOptions(controller.Options{
				MaxConcurrentReconciles: perf.Workers,
				ReconciliationTimeout:   perf.Timeout,
			}).
			Complete(r)
		if err != nil {
			return fail("unable to create controller", err, "kind", kind.Name)
		}
	}

	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return fail("healthz", err)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return fail("readyz", err)
	}
	// ready once every kind's informer has synced: its controller starts its workers right after, so a
	// load started when the lab says ready is reconciled from its first object (before, the first
	// scrape of a run could catch the operator half started, its goroutines still rising)
	if err := mgr.AddReadyzCheck("informers", func(req *http.Request) error {
		for _, kind := range enabled {
			informer, err := mgr.GetCache().GetInformer(req.Context(), kind.New(), cache.BlockUntilSynced(false))
			if err != nil {
				return err
			}
			if !informer.HasSynced() {
				return fmt.Errorf("the %s informer has not synced yet", kind.Name)
			}
		}
		return nil
	}); err != nil {
		return fail("readyz informers", err)
	}
	if o.webhookPort > 0 {
		srv := mgr.GetWebhookServer()
		for _, kind := range kinds.Names() {
			srv.Register(webhook.Path(kind), &crwebhook.Admission{Handler: &webhook.Validator{Kind: kind, Latency: whLatency}})
		}
		if err := mgr.AddReadyzCheck("webhook", srv.StartedChecker()); err != nil {
			return fail("readyz webhook", err)
		}
	}

	ctx, cancel := context.WithCancel(signalCtx)
	defer cancel()
	var restartReason atomic.Value
	if o.watchConfig {
		w := &config.Watcher{
			Config: restCfg, Namespace: o.configNamespace, Name: o.configName,
			Initial: content, InitialFound: found && readErr == nil,
			OnChange: func(reason string) {
				restartReason.Store(reason)
				cancel()
			},
		}
		if readErr != nil {
			// Unknown start state: the first observation counts as a change only if the
			// ConfigMap exists (defaults are in force).
			w.Initial, w.InitialFound = "", false
		}
		if err := mgr.Add(w); err != nil {
			return fail("config watcher", err)
		}
	}

	setupLog.Info("starting manager", "kinds", kinds.NamesOf(enabled), "workers", perf.Workers, "provisionTime", dist.String(),
		"batchSize", perf.BatchSize, "metrics", o.metricsAddr, "probes", o.probeAddr, "pprof", pprofAddr,
		"webhook", webhookAddr(o), "pid", os.Getpid())
	startErr := mgr.Start(ctx)

	if reason, _ := restartReason.Load().(string); reason != "" && signalCtx.Err() == nil {
		setupLog.Info("performance config changed, re-executing to apply it", "reason", reason, "pid", os.Getpid())
		exe, err := os.Executable()
		if err != nil {
			return fail("re-exec: cannot find own executable", err)
		}
		err = syscall.Exec(exe, os.Args, os.Environ())
		return fail("re-exec failed", err, "executable", exe)
	}
	if startErr != nil {
		return fail("manager exited", startErr)
	}
	return 0
}

// applyGC applies gc.gogc / gc.gomemlimit unless GOGC / GOMEMLIMIT are set in the environment.
func applyGC(p config.Performance, info func(msg string, kv ...any)) {
	if p.GOGC != nil {
		if v, ok := os.LookupEnv("GOGC"); ok {
			info("GOGC set in the environment wins over gc.gogc", "env", v, "config", *p.GOGC)
		} else {
			debug.SetGCPercent(*p.GOGC)
			info("applied gc.gogc", "gogc", *p.GOGC)
		}
	}
	if p.GOMemLimit != nil {
		if v, ok := os.LookupEnv("GOMEMLIMIT"); ok {
			info("GOMEMLIMIT set in the environment wins over gc.gomemlimit", "env", v, "config", *p.GOMemLimit)
		} else {
			debug.SetMemoryLimit(*p.GOMemLimit)
			info("applied gc.gomemlimit", "bytes", *p.GOMemLimit)
		}
	}
}

func webhookAddr(o options) string {
	if o.webhookPort <= 0 {
		return "disabled"
	}
	return fmt.Sprintf("%s:%d", o.webhookHost, o.webhookPort)
}

var _ manager.Runnable = &config.Watcher{}
