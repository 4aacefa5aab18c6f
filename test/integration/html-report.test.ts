import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inflateSync } from 'node:zlib';
import { WebSocket } from 'undici';
import { describe, expect, it } from 'vitest';
import { renderHtmlReport } from '../../src/render/html-report.js';
import type { RunResult } from '../../src/report/run-result.js';
import type { TuneResult } from '../../src/report/sections/tune.js';
import { vitictl } from '../helpers/binary.js';
import { useTempDir } from '../helpers/files.js';
import { lab } from '../helpers/lab.js';

/**
 * report.html from real lab runs, opened in headless Chromium (Debian's `chromium` package) over the
 * DevTools protocol: no console errors, no exceptions, no failed or external requests, every chart
 * laid out, and a screenshot that is not blank.
 */

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const MISSING = `headless Chromium not found at ${CHROMIUM}: install Debian's "chromium" package (apt-get install -y chromium) or set CHROMIUM=/path/to/chrome`;
if (!HAVE_CHROMIUM && process.env.CI !== 'true') {
  console.warn(`\n!!! SKIPPING the HTML report browser test: ${MISSING} !!!\n`);
}

const within = <T>(ms: number, what: string, promise: Promise<T>): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms}ms: ${what}`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });

interface CdpMessage {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

/** One Chromium process, its DevTools websocket and every event it sent. */
class Browser {
  readonly events: CdpMessage[] = [];
  private next = 0;
  private readonly pending = new Map<number, (message: CdpMessage) => void>();

  private constructor(
    private readonly process: ChildProcess,
    private readonly socket: WebSocket,
  ) {
    socket.addEventListener('message', (event) => {
      const message = JSON.parse(String(event.data)) as CdpMessage;
      if (message.id !== undefined) this.pending.get(message.id)?.(message);
      else this.events.push(message);
    });
  }

  static async launch(profileDir: string): Promise<Browser> {
    const args = [
      '--headless',
      '--disable-gpu',
      '--no-sandbox',
      '--disable-dev-shm-usage',
      '--disable-quic',
      '--no-first-run',
      '--no-default-browser-check',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-extensions',
      `--user-data-dir=${profileDir}`,
      '--remote-debugging-port=0',
      'about:blank',
    ];
    // its own process group: the browser's helpers go down with it
    const child = spawn(CHROMIUM, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    const url = await within(
      30_000,
      'Chromium to print its DevTools address',
      new Promise<string>((resolve, reject) => {
        child.stderr?.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          const match = /DevTools listening on (ws:\/\/\S+)/.exec(stderr);
          if (match) resolve(match[1]!);
        });
        child.on('error', reject);
        child.on('exit', (code) => reject(new Error(`Chromium exited (${code}): ${stderr.slice(-2000)}`)));
      }),
    ).catch(async (error: unknown) => {
      await stop(child);
      throw error;
    });
    const socket = new WebSocket(url);
    await within(
      10_000,
      'the DevTools websocket',
      new Promise((resolve, reject) => {
        socket.addEventListener('open', resolve);
        socket.addEventListener('error', () => reject(new Error(`cannot connect to ${url}`)));
      }),
    ).catch(async (error: unknown) => {
      await stop(child);
      throw error;
    });
    return new Browser(child, socket);
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string) {
    const id = ++this.next;
    const reply = new Promise<Record<string, unknown>>((resolve, reject) => {
      this.pending.set(id, (message) => {
        this.pending.delete(id);
        if (message.error) reject(new Error(`${method}: ${message.error.message}`));
        else resolve(message.result ?? {});
      });
    });
    this.socket.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    return within(20_000, method, reply);
  }

  async close(): Promise<void> {
    this.socket.close();
    await stop(this.process);
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const group = -child.pid;
  process.kill(group, 'SIGTERM');
  await within(5000, 'Chromium to exit', exited).catch(() => {
    process.kill(group, 'SIGKILL');
    return exited;
  });
}

interface PageReport {
  problems: string[];
  charts: Array<{ label: string | null; width: number; height: number; marks: number }>;
  screenshot: Buffer;
}

/** Open a file in a fresh tab; what went wrong on the page, its charts' boxes, a full-page PNG. */
async function openPage(browser: Browser, file: string): Promise<PageReport> {
  const { targetId } = await browser.send('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = (await browser.send('Target.attachToTarget', { targetId, flatten: true })) as {
    sessionId: string;
  };
  const send = (method: string, params: Record<string, unknown> = {}) =>
    browser.send(method, params, sessionId);
  for (const domain of ['Runtime', 'Log', 'Page', 'Network']) await send(`${domain}.enable`);
  await send('Emulation.setDeviceMetricsOverride', {
    width: 1280,
    height: 900,
    deviceScaleFactor: 1,
    mobile: false,
  });
  const mine = () => browser.events.filter((e) => e.sessionId === sessionId);
  await send('Page.navigate', { url: pathToFileURL(file).href });
  await within(
    15_000,
    `${file} to load`,
    (async () => {
      while (!mine().some((e) => e.method === 'Page.loadEventFired'))
        await new Promise((r) => setTimeout(r, 50));
    })(),
  );
  await new Promise((r) => setTimeout(r, 300)); // late console messages
  const evaluated = (await send('Runtime.evaluate', {
    expression: `[...document.querySelectorAll('svg')].map((svg) => {
      const box = svg.getBoundingClientRect();
      return { label: svg.getAttribute('aria-label'), width: box.width, height: box.height,
        marks: svg.querySelectorAll('path, rect, circle').length };
    })`,
    returnByValue: true,
  })) as { result: { value: PageReport['charts'] } };
  const metrics = (await send('Page.getLayoutMetrics')) as { cssContentSize: { height: number } };
  const height = Math.min(16_000, Math.ceil(metrics.cssContentSize.height));
  await send('Emulation.setDeviceMetricsOverride', {
    width: 1280,
    height,
    deviceScaleFactor: 1,
    mobile: false,
  });
  const shot = (await send('Page.captureScreenshot', { format: 'png' })) as { data: string };
  await browser.send('Target.closeTarget', { targetId });
  return {
    problems: problems(mine()),
    charts: evaluated.result.value,
    screenshot: Buffer.from(shot.data, 'base64'),
  };
}

/** Console errors, uncaught exceptions, browser-logged errors (SVG attribute errors, failed loads), and any request off the machine. */
function problems(events: CdpMessage[]): string[] {
  const out: string[] = [];
  for (const { method, params = {} } of events) {
    if (method === 'Runtime.consoleAPICalled' && (params.type === 'error' || params.type === 'assert')) {
      const args = params.args as Array<{ value?: unknown; description?: string }>;
      out.push(`console.${params.type}: ${args.map((a) => a.description ?? String(a.value)).join(' ')}`);
    } else if (method === 'Runtime.exceptionThrown') {
      const details = params.exceptionDetails as { text: string; exception?: { description?: string } };
      out.push(`exception: ${details.exception?.description ?? details.text}`);
    } else if (method === 'Log.entryAdded') {
      const entry = params.entry as { level: string; source: string; text: string; url?: string };
      if (entry.level === 'error')
        out.push(`${entry.source}: ${entry.text}${entry.url ? ` (${entry.url})` : ''}`);
    } else if (method === 'Network.requestWillBeSent') {
      const url = (params.request as { url: string }).url;
      if (!/^(file|data|about):/.test(url)) out.push(`external request: ${url}`);
    }
  }
  return out;
}

/** 8-bit RGB/RGBA, non-interlaced PNG (what Chromium writes) → pixel colour statistics. */
function pngStats(png: Buffer): {
  width: number;
  height: number;
  colours: number;
  nonBackground: number;
  near(rgb: number): number;
} {
  expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  let offset = 8;
  let header: Buffer | undefined;
  const data: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const body = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') header = body;
    if (type === 'IDAT') data.push(body);
    offset += 12 + length;
  }
  if (!header) throw new Error('PNG without IHDR');
  const width = header.readUInt32BE(0);
  const height = header.readUInt32BE(4);
  const [depth, colourType, , , interlace] = [header[8], header[9], header[10], header[11], header[12]];
  if (depth !== 8 || (colourType !== 2 && colourType !== 6) || interlace !== 0) {
    throw new Error(`unsupported PNG: depth ${depth}, colour type ${colourType}, interlace ${interlace}`);
  }
  const channels = colourType === 6 ? 4 : 3;
  const stride = width * channels;
  const raw = inflateSync(Buffer.concat(data));
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const input = y * (stride + 1) + 1;
    const row = y * stride;
    const up = row - stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? pixels[row + x - channels]! : 0;
      const b = y > 0 ? pixels[up + x]! : 0;
      let predictor = 0;
      if (filter === 1) predictor = a;
      else if (filter === 2) predictor = b;
      else if (filter === 3) predictor = (a + b) >> 1;
      else if (filter === 4) {
        const c = x >= channels && y > 0 ? pixels[up + x - channels]! : 0;
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      pixels[row + x] = (raw[input + x]! + predictor) & 0xff;
    }
  }
  const histogram = new Map<number, number>();
  for (let i = 0; i < pixels.length; i += channels) {
    const rgb = (pixels[i]! << 16) | (pixels[i + 1]! << 8) | pixels[i + 2]!;
    histogram.set(rgb, (histogram.get(rgb) ?? 0) + 1);
  }
  const background = Math.max(...histogram.values());
  const near = (target: number) => {
    let n = 0;
    for (const [rgb, count] of histogram) {
      const close = [16, 8, 0].every(
        (shift) => Math.abs(((rgb >> shift) & 0xff) - ((target >> shift) & 0xff)) <= 16,
      );
      if (close) n += count;
    }
    return n;
  };
  return { width, height, colours: histogram.size, nonBackground: 1 - background / (width * height), near };
}

describe('report.html in headless Chromium', () => {
  const temp = useTempDir();

  it.skipIf(!HAVE_CHROMIUM && process.env.CI !== 'true')(
    'renders a real run (signals, tuning, a baseline) with its charts and no console errors',
    async () => {
      if (!HAVE_CHROMIUM) throw new Error(MISSING);
      const env = { NO_COLOR: '1', KUBECONFIG: lab().kubeconfig };
      const metrics = `http://127.0.0.1:${lab().ports.metrics}/metrics`;
      const dir = (await temp.write('bad.html', '')).replace(/bad\.html$/, '');
      const run = async (name: string, qps: number): Promise<RunResult> => {
        const out = join(dir, `${name}.json`);
        const applied = await vitictl(
          [
            'apply',
            'machines',
            '--count',
            '100',
            '--qps',
            String(qps),
            '--metrics',
            metrics,
            '--metrics-interval',
            '500ms',
            '--out',
            out,
            '-q',
          ],
          { env },
        );
        expect(applied.exitCode, String(applied.stderr)).toBe(0);
        return JSON.parse(await readFile(out, 'utf8')) as RunResult;
      };
      const baseline = await run('baseline', 100);
      const result = await run('run', 50);
      const tuned = await vitictl(['tune', '--from', join(dir, 'run.json'), '-o', 'json'], { env });
      expect(tuned.exitCode, String(tuned.stderr)).toBe(0);
      result.tune = JSON.parse(String(tuned.stdout)) as TuneResult;

      const report = join(dir, 'report.html');
      const html = renderHtmlReport(result, { baseline });
      const sections = [...html.matchAll(/<section id="([a-z]+)"/g)].map((m) => m[1]);
      expect(sections).toEqual([
        'run',
        'compare',
        'objects',
        'distribution',
        'latency',
        'rate',
        'signals',
        'apiserver',
        'tune',
        'methods',
      ]);
      await writeFile(report, html);
      // the detector's own check: a page with each kind of problem must be reported
      await writeFile(
        join(dir, 'bad.html'),
        '<!doctype html><link rel="icon" href="data:,"><svg viewBox="0 0 9 9"><path d="MNaN,0L1,1"/></svg><img src="missing.png"><script>console.error("boom"); throw new Error("thrown")</script>',
      );

      const profile = await mkdtemp(join(tmpdir(), 'vitictl-chromium-'));
      const browser = await Browser.launch(profile);
      try {
        const bad = await openPage(browser, join(dir, 'bad.html'));
        expect(bad.problems.join('\n')).toMatch(/console\.error: boom/);
        expect(bad.problems.join('\n')).toMatch(/exception: Error: thrown/);
        expect(bad.problems.join('\n')).toMatch(/rendering: Error: <path> attribute d/);
        expect(bad.problems.join('\n')).toMatch(/network: .*ERR_FILE_NOT_FOUND/);

        const page = await openPage(browser, report);
        expect(page.problems).toEqual([]);
        // the queue depth is a gauge sampled every 500 ms: drawn when some scrape saw a queue
        const depth = result.observe!.targets[0]!.queueDepth!;
        expect(depth.map((s) => s.controller)).toContain('machine');
        expect(depth.find((s) => s.controller === 'machine')!.points.length).toBeGreaterThan(2);
        const queued = depth.some((s) => s.points.some(([, items]) => items > 0));
        expect(page.charts.map((c) => c.label)).toEqual([
          'time-to-ready distribution',
          'achieved rate over time',
          ...(queued ? ['workqueue depth over time'] : []),
          // the API server is scraped beside the load by default: drawn with two scrapes or more
          ...(result.apiserver!.series.length >= 2
            ? ['API server mutating p99 and request rate over time']
            : []),
          'time to ready: measured vs predicted',
        ]);
        for (const chart of page.charts) {
          expect(chart.width, String(chart.label)).toBeGreaterThan(600);
          expect(chart.height, String(chart.label)).toBeGreaterThan(200);
          expect(chart.marks, String(chart.label)).toBeGreaterThan(3);
        }
        const png = pngStats(page.screenshot);
        expect(png.width).toBe(1280);
        expect(png.height).toBeGreaterThan(2000);
        expect(png.colours).toBeGreaterThan(200);
        expect(png.nonBackground).toBeGreaterThan(0.1);
        // the charts were painted: a legend swatch is 140 pixels, a 2 px line across a chart far more
        expect(png.near(0x0d9488), 'CDF line pixels').toBeGreaterThan(400);
        expect(png.near(0x2563eb), 'created-per-second line pixels').toBeGreaterThan(1200);
        const keep = process.env.VITICTL_REPORT_SCREENSHOT;
        if (keep) {
          await copyFile(report, keep.replace(/\.png$/, '.html'));
          await writeFile(keep, page.screenshot);
        }
      } finally {
        await browser.close();
        await rm(profile, { recursive: true, force: true });
      }
    },
  );
});
