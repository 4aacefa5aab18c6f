// Package simulate holds the pieces that stand in for a cloud provider: provisioning-time
// distributions, the batching cloud API, the provider-config cache and context-aware sleeps.
package simulate

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"
)

// z99 is the standard normal 0.99 quantile.
const z99 = 2.3263478740408408

// Distribution draws durations.
type Distribution interface {
	Sample() time.Duration
	String() string
}

// RNG is a goroutine-safe random source shared by the simulation.
type RNG struct {
	mu sync.Mutex
	r  *rand.Rand
}

// NewRNG returns a generator; seed 0 picks a random seed.
func NewRNG(seed uint64) *RNG {
	if seed == 0 {
		seed = rand.Uint64()
	}
	return &RNG{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

func (g *RNG) Float64() float64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.r.Float64()
}

func (g *RNG) NormFloat64() float64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.r.NormFloat64()
}

func (g *RNG) ExpFloat64() float64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.r.ExpFloat64()
}

// Chance reports true with probability p.
func (g *RNG) Chance(p float64) bool {
	if p <= 0 {
		return false
	}
	if p >= 1 {
		return true
	}
	return g.Float64() < p
}

type fixed struct{ d time.Duration }

func (f fixed) Sample() time.Duration { return f.d }
func (f fixed) String() string        { return "fixed:" + f.d.String() }

type uniform struct {
	lo, hi time.Duration
	rng    *RNG
}

func (u uniform) Sample() time.Duration {
	return u.lo + time.Duration(u.rng.Float64()*float64(u.hi-u.lo))
}
func (u uniform) String() string { return fmt.Sprintf("uniform:%s-%s", u.lo, u.hi) }

type lognormal struct {
	median, p99 time.Duration
	mu, sigma   float64
	max         time.Duration
	rng         *RNG
}

func (l lognormal) Sample() time.Duration {
	d := time.Duration(math.Exp(l.mu + l.sigma*l.rng.NormFloat64()))
	if l.max > 0 && d > l.max {
		d = l.max
	}
	return d
}
func (l lognormal) String() string {
	s := fmt.Sprintf("lognormal:median=%s,p99=%s", l.median, l.p99)
	if l.max > 0 {
		s += ",max=" + l.max.String()
	}
	return s
}

type exponential struct {
	mean, max time.Duration
	rng       *RNG
}

func (e exponential) Sample() time.Duration {
	d := time.Duration(e.rng.ExpFloat64() * float64(e.mean))
	if e.max > 0 && d > e.max {
		d = e.max
	}
	return d
}
func (e exponential) String() string {
	s := "exponential:mean=" + e.mean.String()
	if e.max > 0 {
		s += ",max=" + e.max.String()
	}
	return s
}

// DistributionSyntax documents what ParseDistribution accepts.
const DistributionSyntax = `fixed:200ms | 200ms | uniform:100ms-300ms | lognormal:median=200ms,p99=1s[,max=10s] | exponential:mean=200ms[,max=5s]`

// ParseDistribution parses a duration distribution; see DistributionSyntax.
func ParseDistribution(spec string, rng *RNG) (Distribution, error) {
	spec = strings.TrimSpace(spec)
	kind, arg, hasColon := strings.Cut(spec, ":")
	if !hasColon {
		d, err := parseNonNeg(spec)
		if err != nil {
			return nil, fmt.Errorf("distribution %q: want %s", spec, DistributionSyntax)
		}
		return fixed{d}, nil
	}
	switch strings.ToLower(strings.TrimSpace(kind)) {
	case "fixed", "constant":
		d, err := parseNonNeg(arg)
		if err != nil {
			return nil, fmt.Errorf("distribution %q: %w", spec, err)
		}
		return fixed{d}, nil
	case "uniform":
		a, b, ok := strings.Cut(arg, "-")
		if !ok {
			a, b, ok = strings.Cut(arg, ",")
		}
		if !ok {
			return nil, fmt.Errorf("distribution %q: want uniform:LOW-HIGH", spec)
		}
		lo, err1 := parseNonNeg(a)
		hi, err2 := parseNonNeg(b)
		if err1 != nil || err2 != nil || hi < lo {
			return nil, fmt.Errorf("distribution %q: want uniform:LOW-HIGH with 0 <= LOW <= HIGH", spec)
		}
		return uniform{lo, hi, rng}, nil
	case "lognormal":
		kv, err := keyValues(arg, "median", "p99", "max")
		if err != nil {
			return nil, fmt.Errorf("distribution %q: %w", spec, err)
		}
		med, p99 := kv["median"], kv["p99"]
		if med <= 0 || p99 < med {
			return nil, fmt.Errorf("distribution %q: want lognormal:median=D,p99=D with 0 < median <= p99", spec)
		}
		return lognormal{
			median: med, p99: p99, max: kv["max"],
			mu:    math.Log(float64(med)),
			sigma: math.Log(float64(p99)/float64(med)) / z99,
			rng:   rng,
		}, nil
	case "exponential", "exp":
		kv, err := keyValues(arg, "mean", "max")
		if err != nil {
			return nil, fmt.Errorf("distribution %q: %w", spec, err)
		}
		if kv["mean"] <= 0 {
			return nil, fmt.Errorf("distribution %q: want exponential:mean=D with D > 0", spec)
		}
		return exponential{mean: kv["mean"], max: kv["max"], rng: rng}, nil
	}
	return nil, fmt.Errorf("distribution %q: unknown kind %q; want %s", spec, kind, DistributionSyntax)
}

func keyValues(arg string, allowed ...string) (map[string]time.Duration, error) {
	out := map[string]time.Duration{}
	for _, part := range strings.Split(arg, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, fmt.Errorf("%q is not key=duration", part)
		}
		k = strings.ToLower(strings.TrimSpace(k))
		known := false
		for _, a := range allowed {
			if k == a {
				known = true
			}
		}
		if !known {
			return nil, fmt.Errorf("unknown parameter %q (allowed: %s)", k, strings.Join(allowed, ", "))
		}
		d, err := parseNonNeg(v)
		if err != nil {
			return nil, err
		}
		out[k] = d
	}
	return out, nil
}

func parseNonNeg(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		if f, ferr := strconv.ParseFloat(s, 64); ferr == nil {
			return 0, fmt.Errorf("%q has no unit (write e.g. %gms)", s, f)
		}
		return 0, fmt.Errorf("%q is not a duration", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("%q is negative", s)
	}
	return d, nil
}

// Sleep waits for d or until ctx is done; it returns ctx.Err() in the latter case.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
