package simulate

import (
	"context"
	"sync"
	"time"
)

// Batcher is the simulated cloud API that accepts provisioning requests in batches. Requests
// collect in an open batch until Size are waiting or Timeout has passed since the batch's first
// request; then the batch is dispatched and "provisioned" in Base + PerItem*B (B = its size),
// after which every request in it returns. Dispatched batches run concurrently; a new batch opens
// with the next request. A request whose context ends leaves its batch (if not yet dispatched).
type Batcher struct {
	Size    int
	Timeout time.Duration
	Base    time.Duration
	PerItem time.Duration

	// Optional hooks (metrics). Waiting is the number of requests in the open batch.
	OnWaiting  func(n int)
	OnDispatch func(size int, d time.Duration)

	mu   sync.Mutex
	open *batch
	// after is time.AfterFunc, replaceable in tests.
	after func(time.Duration, func()) *time.Timer
}

type batch struct {
	n          int
	dispatched bool
	done       chan struct{}
	timer      *time.Timer
}

// Provision submits one request and blocks until its batch has been provisioned or ctx ends.
func (b *Batcher) Provision(ctx context.Context) error {
	b.mu.Lock()
	if b.after == nil {
		b.after = time.AfterFunc
	}
	bt := b.open
	if bt == nil {
		bt = &batch{done: make(chan struct{})}
		b.open = bt
		if b.Timeout > 0 {
			bt.timer = b.after(b.Timeout, func() {
				b.mu.Lock()
				defer b.mu.Unlock()
				b.dispatchLocked(bt)
			})
		}
	}
	bt.n++
	if bt.n >= b.Size || b.Timeout <= 0 {
		b.dispatchLocked(bt)
	} else {
		b.waiting()
	}
	b.mu.Unlock()

	select {
	case <-bt.done:
		return nil
	case <-ctx.Done():
		b.mu.Lock()
		if !bt.dispatched {
			bt.n--
			if bt.n == 0 {
				if bt.timer != nil {
					bt.timer.Stop()
				}
				bt.dispatched = true // empty: never provisioned
				close(bt.done)
				if b.open == bt {
					b.open = nil
				}
			}
			b.waiting()
		}
		b.mu.Unlock()
		return ctx.Err()
	}
}

// Waiting returns the number of requests in the open (not yet dispatched) batch.
func (b *Batcher) Waiting() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.open == nil {
		return 0
	}
	return b.open.n
}

func (b *Batcher) waiting() {
	if b.OnWaiting == nil {
		return
	}
	n := 0
	if b.open != nil {
		n = b.open.n
	}
	b.OnWaiting(n)
}

func (b *Batcher) dispatchLocked(bt *batch) {
	if bt.dispatched {
		return
	}
	bt.dispatched = true
	if bt.timer != nil {
		bt.timer.Stop()
	}
	if b.open == bt {
		b.open = nil
	}
	b.waiting()
	if bt.n == 0 {
		close(bt.done)
		return
	}
	d := b.Base + time.Duration(bt.n)*b.PerItem
	if b.OnDispatch != nil {
		b.OnDispatch(bt.n, d)
	}
	time.AfterFunc(d, func() { close(bt.done) })
}
