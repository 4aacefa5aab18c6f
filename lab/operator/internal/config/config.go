// Package config parses the vitistack-performance-config ConfigMap (key performance.yaml),
// the file `vitictl tune` emits, into the effective knobs of the reference operator.
//
// Every key is optional. An absent key keeps controller-runtime's / the simulation's default
// (see Defaults). Unknown keys are reported as warnings, never as errors.
package config

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"
)

// Key is the ConfigMap data key that holds the performance file.
const Key = "performance.yaml"

// Performance is the effective configuration after defaults and precedence are applied.
type Performance struct {
	// Workers is MaxConcurrentReconciles for every controller:
	// controller.maxConcurrentReconciles if > 0, else controller.workers if > 0, else 1.
	Workers int
	// BatchSize is how many provisioning requests the simulated cloud API accepts at once (>= 1).
	BatchSize int
	// BatchTimeout is how long a batch waits for more requests after its first one.
	BatchTimeout time.Duration

	CacheEnabled bool
	CacheTTL     time.Duration // 0 = entries never expire
	CacheMaxSize int           // 0 = unbounded

	// QPS and Burst go on rest.Config. QPS 0 means "not configured": controller-runtime's
	// default applies (QPS -1, no client-side limit).
	QPS   float32
	Burst int

	RequeueDelay        time.Duration // > 0: Running objects are requeued after it (simulated polling)
	RequeueDelayOnError time.Duration // > 0: injected errors requeue after it; 0: return the error (backoff)
	Timeout             time.Duration // reconcile context timeout; 0 = none

	// Informational (an operator cannot set its own pod resources); parsed and validated only.
	CPURequest, CPULimit, MemoryRequest, MemoryLimit string

	// GOGC / GOMEMLIMIT from the file; nil when absent. Env GOGC / GOMEMLIMIT win over these.
	GOGC       *int   // -1 means "off"
	GOMemLimit *int64 // bytes

	MetricsInterval time.Duration // informational: Prometheus pulls, nothing is pushed
	EnableProfiling bool          // false disables the pprof endpoint
}

// Defaults returns the configuration used when the ConfigMap or a key is absent.
func Defaults() Performance {
	return Performance{
		Workers:         1,
		BatchSize:       1,
		BatchTimeout:    100 * time.Millisecond,
		CacheEnabled:    true,
		CacheTTL:        5 * time.Minute,
		CacheMaxSize:    1000,
		MetricsInterval: 15 * time.Second,
		EnableProfiling: true,
	}
}

// file mirrors the YAML shape; pointers tell "absent" from "zero".
type file struct {
	Controller *struct {
		Workers                 *int      `json:"workers"`
		BatchSize               *int      `json:"batchSize"`
		BatchTimeout            *Duration `json:"batchTimeout"`
		MaxConcurrentReconciles *int      `json:"maxConcurrentReconciles"`
	} `json:"controller"`
	Caching *struct {
		Enabled *bool     `json:"enabled"`
		TTL     *Duration `json:"ttl"`
		MaxSize *int      `json:"maxSize"`
	} `json:"caching"`
	RateLimit *struct {
		QPS   *float64 `json:"qps"`
		Burst *int     `json:"burst"`
	} `json:"rateLimit"`
	Reconciliation *struct {
		RequeueDelay        *Duration `json:"requeueDelay"`
		RequeueDelayOnError *Duration `json:"requeueDelayOnError"`
		Timeout             *Duration `json:"timeout"`
	} `json:"reconciliation"`
	ResourceOptimization *struct {
		CPU    *reqLimit `json:"cpu"`
		Memory *reqLimit `json:"memory"`
	} `json:"resourceOptimization"`
	GC *struct {
		GOGC       *json.RawMessage `json:"gogc"`
		GOMemLimit *json.RawMessage `json:"gomemlimit"`
	} `json:"gc"`
	Monitoring *struct {
		MetricsInterval *Duration `json:"metricsInterval"`
		EnableProfiling *bool     `json:"enableProfiling"`
	} `json:"monitoring"`
}

type reqLimit struct {
	Request *string `json:"request"`
	Limit   *string `json:"limit"`
}

// Duration accepts a Go duration string ("100ms", "5m", "0s") or a bare number of seconds.
type Duration struct{ time.Duration }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		s = strings.TrimSpace(s)
		if s == "" {
			d.Duration = 0
			return nil
		}
		if v, err := strconv.ParseFloat(s, 64); err == nil {
			d.Duration = time.Duration(v * float64(time.Second))
			return nil
		}
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("invalid duration %q", s)
		}
		d.Duration = v
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("invalid duration %s", string(b))
	}
	d.Duration = time.Duration(f * float64(time.Second))
	return nil
}

// Parse reads performance.yaml content. It returns the effective configuration, warnings
// (unknown keys, ignored values) and an error for content that cannot be used at all.
// An empty document yields Defaults().
func Parse(content string) (Performance, []string, error) {
	p := Defaults()
	var warnings []string
	if strings.TrimSpace(content) == "" {
		return p, nil, nil
	}
	js, err := yaml.YAMLToJSON([]byte(content))
	if err != nil {
		return p, nil, fmt.Errorf("performance.yaml: %w", err)
	}
	if string(js) == "null" {
		return p, nil, nil
	}
	var f file
	if err := json.Unmarshal(js, &f); err != nil {
		return p, nil, fmt.Errorf("performance.yaml: %w", err)
	}
	warnings = append(warnings, unknownKeys(js)...)

	bad := func(format string, a ...any) { warnings = append(warnings, fmt.Sprintf(format, a...)) }

	if c := f.Controller; c != nil {
		if c.Workers != nil {
			if *c.Workers > 0 {
				p.Workers = *c.Workers
			} else {
				bad("controller.workers=%d ignored (must be > 0)", *c.Workers)
			}
		}
		// maxConcurrentReconciles is controller-runtime's own name: it wins over workers.
		if c.MaxConcurrentReconciles != nil {
			if *c.MaxConcurrentReconciles > 0 {
				if c.Workers != nil && *c.Workers > 0 && *c.Workers != *c.MaxConcurrentReconciles {
					bad("controller.workers=%d and maxConcurrentReconciles=%d differ: maxConcurrentReconciles wins",
						*c.Workers, *c.MaxConcurrentReconciles)
				}
				p.Workers = *c.MaxConcurrentReconciles
			} else {
				bad("controller.maxConcurrentReconciles=%d ignored (must be > 0)", *c.MaxConcurrentReconciles)
			}
		}
		if c.BatchSize != nil {
			if *c.BatchSize >= 1 {
				p.BatchSize = *c.BatchSize
			} else {
				bad("controller.batchSize=%d ignored (must be >= 1)", *c.BatchSize)
			}
		}
		if c.BatchTimeout != nil {
			if c.BatchTimeout.Duration >= 0 {
				p.BatchTimeout = c.BatchTimeout.Duration
			} else {
				bad("controller.batchTimeout=%s ignored (negative)", c.BatchTimeout.Duration)
			}
		}
	}
	if c := f.Caching; c != nil {
		if c.Enabled != nil {
			p.CacheEnabled = *c.Enabled
		}
		if c.TTL != nil {
			if c.TTL.Duration >= 0 {
				p.CacheTTL = c.TTL.Duration
			} else {
				bad("caching.ttl=%s ignored (negative)", c.TTL.Duration)
			}
		}
		if c.MaxSize != nil {
			if *c.MaxSize >= 0 {
				p.CacheMaxSize = *c.MaxSize
			} else {
				bad("caching.maxSize=%d ignored (negative)", *c.MaxSize)
			}
		}
	}
	if r := f.RateLimit; r != nil {
		if r.QPS != nil {
			if *r.QPS > 0 {
				p.QPS = float32(*r.QPS)
			} else if *r.QPS < 0 {
				p.QPS = -1 // explicit "no client-side limit"
			}
		}
		if r.Burst != nil {
			if *r.Burst > 0 {
				p.Burst = *r.Burst
			} else {
				bad("rateLimit.burst=%d ignored (must be > 0)", *r.Burst)
			}
		}
		if p.QPS > 0 && p.Burst == 0 {
			p.Burst = int(math.Ceil(float64(p.QPS)))
			bad("rateLimit.burst absent: using burst=%d (= ceil(qps))", p.Burst)
		}
	}
	if r := f.Reconciliation; r != nil {
		set := func(name string, src *Duration, dst *time.Duration) {
			if src == nil {
				return
			}
			if src.Duration < 0 {
				bad("reconciliation.%s=%s ignored (negative)", name, src.Duration)
				return
			}
			*dst = src.Duration
		}
		set("requeueDelay", r.RequeueDelay, &p.RequeueDelay)
		set("requeueDelayOnError", r.RequeueDelayOnError, &p.RequeueDelayOnError)
		set("timeout", r.Timeout, &p.Timeout)
	}
	if ro := f.ResourceOptimization; ro != nil {
		q := func(name string, v *string, dst *string) {
			if v == nil || *v == "" {
				return
			}
			if _, err := resource.ParseQuantity(*v); err != nil {
				bad("resourceOptimization.%s=%q is not a quantity", name, *v)
				return
			}
			*dst = *v
		}
		if ro.CPU != nil {
			q("cpu.request", ro.CPU.Request, &p.CPURequest)
			q("cpu.limit", ro.CPU.Limit, &p.CPULimit)
		}
		if ro.Memory != nil {
			q("memory.request", ro.Memory.Request, &p.MemoryRequest)
			q("memory.limit", ro.Memory.Limit, &p.MemoryLimit)
		}
	}
	if g := f.GC; g != nil {
		if g.GOGC != nil {
			v, err := parseGOGC(*g.GOGC)
			if err != nil {
				bad("gc.gogc ignored: %v", err)
			} else {
				p.GOGC = &v
			}
		}
		if g.GOMemLimit != nil {
			v, err := parseMemLimit(*g.GOMemLimit)
			if err != nil {
				bad("gc.gomemlimit ignored: %v", err)
			} else {
				p.GOMemLimit = &v
			}
		}
	}
	if m := f.Monitoring; m != nil {
		if m.MetricsInterval != nil {
			p.MetricsInterval = m.MetricsInterval.Duration
		}
		if m.EnableProfiling != nil {
			p.EnableProfiling = *m.EnableProfiling
		}
	}
	return p, warnings, nil
}

func parseGOGC(raw json.RawMessage) (int, error) {
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		i, err := strconv.Atoi(n.String())
		if err != nil {
			return 0, fmt.Errorf("%s is not an integer", n)
		}
		return checkGOGC(i)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return 0, fmt.Errorf("%s is neither an integer nor \"off\"", string(raw))
	}
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "off") {
		return -1, nil
	}
	i, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is neither an integer nor \"off\"", s)
	}
	return checkGOGC(i)
}

func checkGOGC(i int) (int, error) {
	if i < 0 {
		return -1, nil // negative means off, as in the runtime
	}
	return i, nil
}

var memLimitRe = regexp.MustCompile(`^([0-9]+)(B|KiB|MiB|GiB|TiB)?$`)

// parseMemLimit accepts GOMEMLIMIT syntax (460MiB, 1GiB, 123456, "off") and Kubernetes
// quantities (460Mi, 1G).
func parseMemLimit(raw json.RawMessage) (int64, error) {
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		i, err := strconv.ParseInt(n.String(), 10, 64)
		if err != nil || i < 0 {
			return 0, fmt.Errorf("%s is not a byte count", n)
		}
		return i, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return 0, fmt.Errorf("%s is not a memory limit", string(raw))
	}
	return ParseMemLimitString(s)
}

// ParseMemLimitString parses a GOMEMLIMIT-style or Kubernetes-quantity memory limit.
// "off" returns math.MaxInt64 (the runtime's "no limit").
func ParseMemLimitString(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "off") {
		return math.MaxInt64, nil
	}
	if m := memLimitRe.FindStringSubmatch(s); m != nil {
		v, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%q: %v", s, err)
		}
		shift := map[string]uint{"": 0, "B": 0, "KiB": 10, "MiB": 20, "GiB": 30, "TiB": 40}[m[2]]
		if v > math.MaxInt64>>shift {
			return 0, fmt.Errorf("%q overflows", s)
		}
		return v << shift, nil
	}
	q, err := resource.ParseQuantity(s)
	if err != nil {
		return 0, fmt.Errorf("%q is neither GOMEMLIMIT syntax nor a quantity", s)
	}
	v, ok := q.AsInt64()
	if !ok || v < 0 {
		return 0, fmt.Errorf("%q is not a byte count", s)
	}
	return v, nil
}

var knownKeys = map[string][]string{
	"controller":           {"workers", "batchSize", "batchTimeout", "maxConcurrentReconciles"},
	"caching":              {"enabled", "ttl", "maxSize"},
	"rateLimit":            {"qps", "burst"},
	"reconciliation":       {"requeueDelay", "requeueDelayOnError", "timeout"},
	"resourceOptimization": {"cpu", "memory"},
	"gc":                   {"gogc", "gomemlimit"},
	"monitoring":           {"metricsInterval", "enableProfiling"},
}

func unknownKeys(js []byte) []string {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(js, &top); err != nil {
		return []string{"performance.yaml is not a mapping"}
	}
	var out []string
	for k, v := range top {
		subs, ok := knownKeys[k]
		if !ok {
			out = append(out, fmt.Sprintf("unknown key %q ignored", k))
			continue
		}
		var sub map[string]json.RawMessage
		if json.Unmarshal(v, &sub) != nil {
			continue
		}
		for sk := range sub {
			found := false
			for _, s := range subs {
				if s == sk {
					found = true
				}
			}
			if !found {
				out = append(out, fmt.Sprintf("unknown key %q ignored", k+"."+sk))
			}
		}
	}
	sort.Strings(out)
	return out
}

// String renders the effective configuration for a log line.
func (p Performance) String() string {
	gogc, mem := "unset", "unset"
	if p.GOGC != nil {
		gogc = strconv.Itoa(*p.GOGC)
	}
	if p.GOMemLimit != nil {
		mem = strconv.FormatInt(*p.GOMemLimit, 10)
	}
	return fmt.Sprintf("workers=%d batchSize=%d batchTimeout=%s cache(enabled=%t ttl=%s maxSize=%d) qps=%g burst=%d "+
		"requeueDelay=%s requeueDelayOnError=%s timeout=%s gogc=%s gomemlimit=%s profiling=%t",
		p.Workers, p.BatchSize, p.BatchTimeout, p.CacheEnabled, p.CacheTTL, p.CacheMaxSize, p.QPS, p.Burst,
		p.RequeueDelay, p.RequeueDelayOnError, p.Timeout, gogc, mem, p.EnableProfiling)
}
