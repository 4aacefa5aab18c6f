import { describe, expect, it } from 'vitest';
import { parseGoroutineDump, summarizeGoroutines } from './goroutines.js';

const CR = 'sigs.k8s.io/controller-runtime/pkg/internal/controller';

// the bottom of every controller-runtime worker stack
const WORKER_START = `${CR}.(*Controller[...]).Start.func1.1()
	sigs.k8s.io/controller-runtime@v0.25.2/pkg/internal/controller/controller.go:315 +0x85
created by ${CR}.(*Controller[...]).Start.func1 in goroutine 106
	sigs.k8s.io/controller-runtime@v0.25.2/pkg/internal/controller/controller.go:311 +0x26b
`;

function idleWorker(id: number, minutes: number): string {
  return `goroutine ${id} [select${minutes > 0 ? `, ${minutes} minutes` : ''}]:
sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue.(*priorityqueue[...]).GetWithPriority(0x220b833ffe68)
	sigs.k8s.io/controller-runtime@v0.25.2/pkg/controller/priorityqueue/priorityqueue.go:461 +0x117
${CR}.(*Controller[...]).processNextWorkItem(0x187db40, {0x1865270, 0x220b830d2cd0})
	sigs.k8s.io/controller-runtime@v0.25.2/pkg/internal/controller/controller.go:423 +0x5b
${WORKER_START}`;
}

function lockedWorker(id: number): string {
  return `goroutine ${id} [sync.Mutex.Lock, 3 minutes]:
internal/sync.runtime_SemacquireMutex(0xc000123450?, 0x0?, 0x1?)
	runtime/sema.go:95 +0x25
internal/sync.(*Mutex).lockSlow(0xc000123450)
	internal/sync/mutex.go:149 +0x15d
sync.(*Mutex).Lock(...)
	sync/mutex.go:46
github.com/vitistack/operator/internal/cache.(*Store).Get(0xc000123440, {0xc0004a2000, 0x10})
	github.com/vitistack/operator/internal/cache/store.go:88 +0x4f
github.com/vitistack/operator/internal/controller.(*MachineReconciler).Reconcile(0xc0001b4000, {0x1865270, 0xc000a1e0c0}, {{{0xc0004a2000, 0x7}, {0xc0004a2010, 0x9}}})
	github.com/vitistack/operator/internal/controller/machine.go:57 +0x1a5
${CR}.(*Controller[...]).Reconcile(0x187db40, {0x1865270, 0xc000a1e0c0}, {...})
	sigs.k8s.io/controller-runtime@v0.25.2/pkg/internal/controller/controller.go:216 +0x1b8
${CR}.(*Controller[...]).reconcileHandler(0x187db40, {0x1865270, 0xc000a1e0c0}, {...}, 0x0)
	sigs.k8s.io/controller-runtime@v0.25.2/pkg/internal/controller/controller.go:461 +0x3a9
${CR}.(*Controller[...]).processNextWorkItem(0x187db40, {0x1865270, 0x220b830d2cd0})
	sigs.k8s.io/controller-runtime@v0.25.2/pkg/internal/controller/controller.go:421 +0x23d
${WORKER_START}`;
}

const DUMP = [
  `goroutine 1 gp=0xc000002380 m=0 mp=0x2339ba0 [running]:
runtime/pprof.writeGoroutineStacks({0x1856900, 0x220b833de000})
	runtime/pprof/pprof.go:819 +0x6b
main.main()
	github.com/vitistack/operator/main.go:67 +0x13
`,
  `goroutine 7 [IO wait, 12 minutes, locked to thread]:
internal/poll.runtime_pollWait(0x7f2258fc7820, 0x72)
	runtime/netpoll.go:351 +0x85
net.(*netFD).Read(0xc000180000, {0xc000200000, 0x1000, 0x1000})
	net/fd_posix.go:68 +0x25
...additional frames elided...
created by net/http.(*Server).Serve in goroutine 80
	net/http/server.go:3464 +0x485
`,
  `goroutine 9 [chan receive, 2 minutes, locked to thread, synctest bubble 3 labels:{"controller": "machine, v2"}]:
main.wait()
	main.go:10 +0x1
`,
  idleWorker(20, 5),
  idleWorker(21, 0),
  lockedWorker(30),
  lockedWorker(31),
  lockedWorker(32),
].join('\n');

describe('goroutine?debug=2 dumps', () => {
  it('parses headers (gp=/m=, minutes, locked, labels), frames and created-by', () => {
    const goroutines = parseGoroutineDump(DUMP);
    expect(goroutines).toHaveLength(8);
    const [running, io, labelled] = goroutines;
    expect(running).toMatchObject({ id: 1, state: 'running', waitMinutes: 0, lockedToThread: false });
    expect(running!.frames.map((f) => f.fn)).toEqual(['runtime/pprof.writeGoroutineStacks', 'main.main']);
    expect(io).toMatchObject({ id: 7, state: 'IO wait', waitMinutes: 12, lockedToThread: true, parent: 80 });
    expect(io!.frames).toEqual([
      { fn: 'internal/poll.runtime_pollWait', at: 'runtime/netpoll.go:351' },
      { fn: 'net.(*netFD).Read', at: 'net/fd_posix.go:68' },
    ]);
    expect(io!.createdBy).toEqual({ fn: 'net/http.(*Server).Serve', at: 'net/http/server.go:3464' });
    expect(labelled).toMatchObject({ state: 'chan receive', waitMinutes: 2, lockedToThread: true });
  });

  it('summarises states, worker pools and flags workers blocked on one lock', () => {
    const summary = summarizeGoroutines(parseGoroutineDump(DUMP));
    expect(summary.total).toBe(8);
    expect(summary.byState[0]).toEqual({
      state: 'sync.Mutex.Lock',
      count: 3,
      waitingMinutes: 3,
      maxWaitMinutes: 3,
    });
    expect(summary.workers).toEqual({ total: 5, idle: 2, busy: 3, busyBlocked: 3 });
    const top = summary.stacks[0]!;
    expect(top).toMatchObject({ count: 3, worker: 'busy', minWaitMinutes: 3, maxWaitMinutes: 3 });
    // the first frame outside runtime/sync/internal: where they actually wait
    expect(top.where?.fn).toBe('github.com/vitistack/operator/internal/cache.(*Store).Get');
    expect(summary.stacks[1]).toMatchObject({
      count: 2,
      worker: 'idle',
      minWaitMinutes: 0,
      maxWaitMinutes: 5,
    });
    expect(summary.flags).toEqual([
      {
        severity: 'warning',
        message: expect.stringMatching(
          /^3 busy workers are blocked in sync\.Mutex\.Lock at github\.com\/vitistack\/operator\/internal\/cache\.\(\*Store\)\.Get \(.*store\.go:88\)/,
        ),
      },
    ]);
  });

  it('flags a saturated pool and crowds of goroutines waiting at one place', () => {
    const busy = [lockedWorker(1), lockedWorker(2)].join('\n');
    const crowd = Array.from(
      { length: 12 },
      (_, i) => `goroutine ${100 + i} [chan receive]:
github.com/vitistack/operator/internal/events.(*Bus).loop(0xc0001)
	github.com/vitistack/operator/internal/events/bus.go:40 +0x1
`,
    ).join('\n');
    const summary = summarizeGoroutines(parseGoroutineDump(`${busy}\n${crowd}`));
    expect(summary.flags.map((f) => f.message)).toEqual([
      expect.stringMatching(/^12 goroutines wait in chan receive at .*\(\*Bus\)\.loop/),
      expect.stringMatching(/^2 busy workers are blocked/),
      'all 2 reconcile workers are busy: the work queue has no idle worker (saturated, ρ ≈ 1)',
    ]);
  });

  it('says what it expected when the text is not a dump', () => {
    expect(() => parseGoroutineDump('hello\n', 'x.txt')).toThrow(
      /x\.txt: no "goroutine N \[state\]:" blocks/,
    );
  });
});
