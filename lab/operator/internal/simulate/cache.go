package simulate

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// ProviderCache is the simulated provider-config cache: a TTL- and size-bounded LRU. A lookup
// that misses costs MissCost (a simulated call to the provider) and, when Enabled, fills the
// cache. With Enabled false every lookup is a miss.
type ProviderCache struct {
	Enabled  bool
	TTL      time.Duration // 0: entries never expire
	MaxSize  int           // 0: unbounded
	MissCost time.Duration

	OnHit, OnMiss func()

	mu  sync.Mutex
	ll  *list.List // front = most recently used
	m   map[string]*list.Element
	now func() time.Time
}

type entry struct {
	key     string
	expires time.Time
}

func (c *ProviderCache) init() {
	if c.m == nil {
		c.m = map[string]*list.Element{}
		c.ll = list.New()
	}
	if c.now == nil {
		c.now = time.Now
	}
}

// get reports a hit for a present, unexpired key (and refreshes its LRU position).
func (c *ProviderCache) get(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.init()
	el, ok := c.m[key]
	if !ok {
		return false
	}
	e := el.Value.(*entry)
	if c.TTL > 0 && !c.now().Before(e.expires) {
		c.ll.Remove(el)
		delete(c.m, key)
		return false
	}
	c.ll.MoveToFront(el)
	return true
}

func (c *ProviderCache) put(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.init()
	exp := c.now().Add(c.TTL)
	if el, ok := c.m[key]; ok {
		el.Value.(*entry).expires = exp
		c.ll.MoveToFront(el)
		return
	}
	c.m[key] = c.ll.PushFront(&entry{key: key, expires: exp})
	for c.MaxSize > 0 && c.ll.Len() > c.MaxSize {
		last := c.ll.Back()
		c.ll.Remove(last)
		delete(c.m, last.Value.(*entry).key)
	}
}

// Len is the number of entries held (expired ones included until touched).
func (c *ProviderCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.init()
	return c.ll.Len()
}

// Lookup returns hit=true without delay on a hit; on a miss it waits MissCost (context-aware)
// and fills the cache when enabled.
func (c *ProviderCache) Lookup(ctx context.Context, key string) (hit bool, err error) {
	if c.Enabled && c.get(key) {
		if c.OnHit != nil {
			c.OnHit()
		}
		return true, nil
	}
	if c.OnMiss != nil {
		c.OnMiss()
	}
	if err := Sleep(ctx, c.MissCost); err != nil {
		return false, err
	}
	if c.Enabled {
		c.put(key)
	}
	return false, nil
}
