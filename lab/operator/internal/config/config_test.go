package config

import (
	"math"
	"strings"
	"testing"
	"time"
)

const full = `
controller: {workers: 4, batchSize: 1, batchTimeout: 100ms, maxConcurrentReconciles: 4}
caching: {enabled: true, ttl: 5m, maxSize: 1000}
rateLimit: {qps: 50, burst: 100}
reconciliation: {requeueDelay: 0s, requeueDelayOnError: 5s, timeout: 30s}
resourceOptimization: {cpu: {request: 100m, limit: ""}, memory: {request: 128Mi, limit: 512Mi}}
gc: {gogc: 100, gomemlimit: 460MiB}
monitoring: {metricsInterval: 15s, enableProfiling: true}
`

func TestParseFull(t *testing.T) {
	p, warnings, err := Parse(full)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Errorf("unexpected warnings: %v", warnings)
	}
	if p.Workers != 4 || p.BatchSize != 1 || p.BatchTimeout != 100*time.Millisecond {
		t.Errorf("controller: %+v", p)
	}
	if !p.CacheEnabled || p.CacheTTL != 5*time.Minute || p.CacheMaxSize != 1000 {
		t.Errorf("caching: %+v", p)
	}
	if p.QPS != 50 || p.Burst != 100 {
		t.Errorf("rateLimit: %+v", p)
	}
	if p.RequeueDelay != 0 || p.RequeueDelayOnError != 5*time.Second || p.Timeout != 30*time.Second {
		t.Errorf("reconciliation: %+v", p)
	}
	if p.GOGC == nil || *p.GOGC != 100 || p.GOMemLimit == nil || *p.GOMemLimit != 460<<20 {
		t.Errorf("gc: %v %v", p.GOGC, p.GOMemLimit)
	}
	if p.MemoryLimit != "512Mi" || p.CPURequest != "100m" || p.CPULimit != "" {
		t.Errorf("resources: %+v", p)
	}
	if !p.EnableProfiling || p.MetricsInterval != 15*time.Second {
		t.Errorf("monitoring: %+v", p)
	}
}

func TestDefaults(t *testing.T) {
	for _, in := range []string{"", "   \n", "---\n", "{}"} {
		p, w, err := Parse(in)
		if err != nil || len(w) != 0 {
			t.Fatalf("%q: %v %v", in, err, w)
		}
		d := Defaults()
		if p.Workers != 1 || p.BatchSize != 1 || !p.CacheEnabled || p.QPS != 0 || p.GOGC != nil || p.GOMemLimit != nil ||
			p.Timeout != 0 || p.RequeueDelayOnError != 0 || p.String() != d.String() {
			t.Errorf("%q: got %s want %s", in, p, d)
		}
	}
	// A partial file keeps the defaults of everything else.
	p, _, err := Parse("rateLimit: {qps: 20, burst: 40}\n")
	if err != nil {
		t.Fatal(err)
	}
	if p.Workers != 1 || p.QPS != 20 || p.Burst != 40 || p.CacheTTL != 5*time.Minute {
		t.Errorf("partial: %s", p)
	}
}

func TestWorkersPrecedence(t *testing.T) {
	cases := []struct {
		in   string
		want int
		warn bool
	}{
		{"controller: {workers: 3}", 3, false},
		{"controller: {maxConcurrentReconciles: 6}", 6, false},
		{"controller: {workers: 3, maxConcurrentReconciles: 6}", 6, true},
		{"controller: {workers: 6, maxConcurrentReconciles: 6}", 6, false},
		{"controller: {workers: 3, maxConcurrentReconciles: 0}", 3, true},
		{"controller: {workers: 0}", 1, true},
	}
	for _, c := range cases {
		p, w, err := Parse(c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if p.Workers != c.want {
			t.Errorf("%s: workers %d want %d", c.in, p.Workers, c.want)
		}
		if (len(w) > 0) != c.warn {
			t.Errorf("%s: warnings %v", c.in, w)
		}
	}
}

func TestDurationsAndGC(t *testing.T) {
	p, w, err := Parse(`
controller: {batchTimeout: 0.25}
reconciliation: {requeueDelay: "2", timeout: 1m30s}
gc: {gogc: "off", gomemlimit: 1Gi}
`)
	if err != nil {
		t.Fatal(err)
	}
	if len(w) != 0 {
		t.Errorf("warnings: %v", w)
	}
	if p.BatchTimeout != 250*time.Millisecond || p.RequeueDelay != 2*time.Second || p.Timeout != 90*time.Second {
		t.Errorf("durations: %s", p)
	}
	if *p.GOGC != -1 || *p.GOMemLimit != 1<<30 {
		t.Errorf("gc: %d %d", *p.GOGC, *p.GOMemLimit)
	}
	for in, want := range map[string]int64{"460MiB": 460 << 20, "123": 123, "2GiB": 2 << 30, "512Mi": 512 << 20, "1G": 1e9, "off": math.MaxInt64} {
		got, err := ParseMemLimitString(in)
		if err != nil || got != want {
			t.Errorf("%s: %d %v want %d", in, got, err, want)
		}
	}
	if _, err := ParseMemLimitString("lots"); err == nil {
		t.Error("lots: want error")
	}
}

func TestWarningsAndErrors(t *testing.T) {
	_, w, err := Parse("controller: {workerz: 3}\nextra: 1\nrateLimit: {qps: 10}\n")
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(w, "|")
	for _, want := range []string{`"controller.workerz"`, `"extra"`, "burst=10"} {
		if !strings.Contains(joined, want) {
			t.Errorf("warnings %q lack %s", joined, want)
		}
	}
	for _, bad := range []string{"controller: [", "controller: {workers: many}", "reconciliation: {timeout: soon}", "- a\n- b"} {
		if _, _, err := Parse(bad); err == nil {
			t.Errorf("%q: want error", bad)
		}
	}
}
