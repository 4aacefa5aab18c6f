package simulate

import (
	"context"
	"math"
	"sort"
	"sync"
	"testing"
	"time"
)

func TestParseDistribution(t *testing.T) {
	rng := NewRNG(1)
	ok := map[string]string{
		"fixed:200ms":                       "fixed:200ms",
		"250ms":                             "fixed:250ms",
		"fixed:0":                           "fixed:0s",
		"uniform:100ms-300ms":               "uniform:100ms-300ms",
		"uniform:1s,2s":                     "uniform:1s-2s",
		"lognormal:median=200ms,p99=1s":     "lognormal:median=200ms,p99=1s",
		"lognormal:p99=2s,median=1s,max=5s": "lognormal:median=1s,p99=2s,max=5s",
		"exponential:mean=50ms":             "exponential:mean=50ms",
		"exp:mean=50ms,max=1s":              "exponential:mean=50ms,max=1s",
		" Fixed: 1s ":                       "fixed:1s",
	}
	for in, want := range ok {
		d, err := ParseDistribution(in, rng)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if d.String() != want {
			t.Errorf("%q: %s want %s", in, d, want)
		}
	}
	for _, in := range []string{"", "fixed:", "fixed:-1s", "200", "uniform:3s-1s", "uniform:1s", "lognormal:median=1s",
		"lognormal:median=1s,p99=500ms", "lognormal:median=1s,p90=2s", "gamma:1s", "exponential:mean=0s"} {
		if _, err := ParseDistribution(in, rng); err == nil {
			t.Errorf("%q: want error", in)
		}
	}
}

func quantile(xs []time.Duration, q float64) time.Duration {
	s := append([]time.Duration(nil), xs...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(q*float64(len(s)-1))]
}

func TestDistributionSamples(t *testing.T) {
	rng := NewRNG(42)
	const n = 20000
	ln, _ := ParseDistribution("lognormal:median=200ms,p99=1s", rng)
	xs := make([]time.Duration, n)
	for i := range xs {
		xs[i] = ln.Sample()
	}
	if m := quantile(xs, 0.5); math.Abs(float64(m-200*time.Millisecond)) > float64(15*time.Millisecond) {
		t.Errorf("lognormal median %s", m)
	}
	if p := quantile(xs, 0.99); math.Abs(float64(p-time.Second)) > float64(150*time.Millisecond) {
		t.Errorf("lognormal p99 %s", p)
	}
	u, _ := ParseDistribution("uniform:100ms-300ms", rng)
	for i := 0; i < 1000; i++ {
		if d := u.Sample(); d < 100*time.Millisecond || d > 300*time.Millisecond {
			t.Fatalf("uniform sample %s out of range", d)
		}
	}
	capped, _ := ParseDistribution("exponential:mean=100ms,max=150ms", rng)
	for i := 0; i < 1000; i++ {
		if d := capped.Sample(); d > 150*time.Millisecond {
			t.Fatalf("capped sample %s", d)
		}
	}
}

func TestSleepHonoursContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := Sleep(ctx, 5*time.Second); err == nil || time.Since(start) > time.Second {
		t.Fatalf("Sleep did not stop with its context: %v after %s", err, time.Since(start))
	}
	if err := Sleep(context.Background(), time.Millisecond); err != nil {
		t.Fatal(err)
	}
}

// provisionN starts n concurrent requests and returns when each finished and the batch sizes seen.
func provisionN(t *testing.T, b *Batcher, n int) ([]time.Duration, []int) {
	t.Helper()
	var mu sync.Mutex
	var sizes []int
	b.OnDispatch = func(size int, _ time.Duration) { mu.Lock(); sizes = append(sizes, size); mu.Unlock() }
	start := time.Now()
	took := make([]time.Duration, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if err := b.Provision(context.Background()); err != nil {
				t.Error(err)
			}
			took[i] = time.Since(start)
		}(i)
	}
	wg.Wait()
	sort.Ints(sizes)
	return took, sizes
}

func TestBatcherFillsBatches(t *testing.T) {
	b := &Batcher{Size: 4, Timeout: 5 * time.Second, Base: 30 * time.Millisecond, PerItem: 5 * time.Millisecond}
	took, sizes := provisionN(t, b, 8)
	if len(sizes) != 2 || sizes[0] != 4 || sizes[1] != 4 {
		t.Fatalf("batch sizes %v, want [4 4]", sizes)
	}
	for _, d := range took {
		// 30ms + 4*5ms = 50ms, far below the 5s timeout.
		if d < 50*time.Millisecond || d > 2*time.Second {
			t.Errorf("request took %s", d)
		}
	}
	if b.Waiting() != 0 {
		t.Errorf("waiting %d", b.Waiting())
	}
}

func TestBatcherTimeout(t *testing.T) {
	b := &Batcher{Size: 10, Timeout: 60 * time.Millisecond, Base: 10 * time.Millisecond, PerItem: time.Millisecond}
	took, sizes := provisionN(t, b, 3)
	if len(sizes) != 1 || sizes[0] != 3 {
		t.Fatalf("batch sizes %v, want [3]", sizes)
	}
	for _, d := range took {
		// timeout 60ms + 10ms + 3ms
		if d < 73*time.Millisecond || d > 2*time.Second {
			t.Errorf("request took %s", d)
		}
	}
}

func TestBatcherLeaveOnCancel(t *testing.T) {
	var waiting []int
	var mu sync.Mutex
	b := &Batcher{Size: 3, Timeout: time.Hour, Base: time.Millisecond,
		OnWaiting: func(n int) { mu.Lock(); waiting = append(waiting, n); mu.Unlock() }}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 2)
	go func() { errc <- b.Provision(ctx) }()
	go func() { errc <- b.Provision(ctx) }()
	deadline := time.Now().Add(2 * time.Second)
	for b.Waiting() != 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	for i := 0; i < 2; i++ {
		if err := <-errc; err == nil {
			t.Error("want context error")
		}
	}
	if b.Waiting() != 0 {
		t.Fatalf("waiting %d after cancel", b.Waiting())
	}
	// The batcher still works afterwards: a full batch of 3 goes through.
	_, sizes := provisionN(t, b, 3)
	if len(sizes) != 1 || sizes[0] != 3 {
		t.Fatalf("sizes %v", sizes)
	}
	mu.Lock()
	defer mu.Unlock()
	if waiting[len(waiting)-1] != 0 {
		t.Errorf("last waiting report %v", waiting)
	}
}

func TestCacheHitMissTTLAndSize(t *testing.T) {
	now := time.Unix(1000, 0)
	hits, misses := 0, 0
	c := &ProviderCache{Enabled: true, TTL: time.Minute, MaxSize: 2, OnHit: func() { hits++ }, OnMiss: func() { misses++ }}
	c.now = func() time.Time { return now }
	ctx := context.Background()
	look := func(k string) bool {
		hit, err := c.Lookup(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		return hit
	}
	if look("a") || !look("a") {
		t.Fatal("a: want miss then hit")
	}
	look("b")
	look("a") // a most recent
	look("c") // evicts b (least recently used)
	if c.Len() != 2 {
		t.Fatalf("len %d", c.Len())
	}
	if !look("a") || look("b") {
		t.Fatal("want a hit, b evicted")
	}
	now = now.Add(2 * time.Minute)
	if look("a") {
		t.Fatal("a should have expired")
	}
	if hits != 3 || misses != 5 {
		t.Fatalf("hits %d misses %d", hits, misses)
	}
}

func TestCacheDisabledAndMissCost(t *testing.T) {
	c := &ProviderCache{Enabled: false, MissCost: 15 * time.Millisecond}
	start := time.Now()
	for i := 0; i < 2; i++ {
		if hit, err := c.Lookup(context.Background(), "k"); hit || err != nil {
			t.Fatal(hit, err)
		}
	}
	if time.Since(start) < 30*time.Millisecond {
		t.Errorf("two misses took %s, want >= 30ms", time.Since(start))
	}
	if c.Len() != 0 {
		t.Errorf("disabled cache holds %d", c.Len())
	}
	unbounded := &ProviderCache{Enabled: true}
	for _, k := range []string{"a", "b", "c"} {
		unbounded.Lookup(context.Background(), k)
	}
	if unbounded.Len() != 3 {
		t.Errorf("maxSize 0 should be unbounded, len %d", unbounded.Len())
	}
	if hit, _ := unbounded.Lookup(context.Background(), "a"); !hit {
		t.Error("ttl 0 should never expire")
	}
}
