// The apply bench, part: vitictl's readiness tracking on a recorded real watch stream (the timing
// rounds' idle reader), played back faster than the lab can produce it: its own part and its CPU at
// 1,000 and 5,000 events/s and at 10× the recorded speed, and the ceiling (as fast as it reads).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { root } from '../lib.js';
import { load, log } from './lab.js';
import { round, summarize } from './stats.js';
import { type RecordedEvent, readRecording } from './timing.js';

/** What the recorder read in one chunk, shifted to start at 0 (the rounds played one after another). */
interface Frame {
  offsetMs: number;
  text: string;
  /** the objects whose ready event (first phase Running) this frame carries */
  readyKeys: string[];
}

function framesOf(recordings: RecordedEvent[][]) {
  const frames: Frame[] = [];
  const objects: Array<[string, string]> = [];
  const seen = new Set<string>();
  const ready = new Set<string>();
  let shift = 0;
  let events = 0;
  for (const recording of recordings) {
    if (recording.length === 0) continue;
    const first = recording[0]!.at;
    let frame: Frame | undefined;
    let frameAt = Number.NaN;
    for (const event of recording) {
      if (!frame || event.at !== frameAt) {
        frame = { offsetMs: shift + event.at - first, text: '', readyKeys: [] };
        frameAt = event.at;
        frames.push(frame);
      }
      frame.text += `${event.line}\n`;
      events++;
      if (!seen.has(event.key)) {
        seen.add(event.key);
        const [namespace, name] = event.key.split('/') as [string, string];
        objects.push([namespace, name]);
      }
      if (event.phase === 'Running' && !ready.has(event.key)) {
        ready.add(event.key);
        frame.readyKeys.push(event.key);
      }
    }
    shift += recording[recording.length - 1]!.at - first + 1;
  }
  return { frames, objects, events, spanMs: shift };
}

/**
 * The replay server: the collection answers an empty list, the watch plays the frames at `speed`
 * (Infinity: as fast as the socket takes them), then stays open. Each frame's write time is kept.
 */
async function serveReplay(frames: Frame[], speed: number, pki: string) {
  const writtenAt = new Float64Array(frames.length);
  const play = async (response: ServerResponse) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    const start = performance.now();
    for (const [index, frame] of frames.entries()) {
      // frames due within a timer's granularity go out together (their write times are kept)
      const wait = start + frame.offsetMs / speed - performance.now();
      if (wait > 0) await sleep(wait);
      writtenAt[index] = performance.timeOrigin + performance.now();
      if (!response.write(frame.text)) await new Promise((resolve) => response.once('drain', resolve));
    }
  };
  const tls = {
    cert: readFileSync(join(pki, 'apiserver.crt')),
    key: readFileSync(join(pki, 'apiserver.key')),
  };
  const server = createServer(tls, (request, response) => {
    if (request.url?.includes('watch=1')) void play(response);
    else
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(
          '{"kind":"MachineList","apiVersion":"vitistack.io/v1alpha1","metadata":{"resourceVersion":"1"},"items":[]}',
        );
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    writtenAt,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

interface ConsumerOutput {
  events: number;
  ready: number;
  readSpanMs: number;
  cpuMs: number;
  maxRssMiB: number;
  ownPart: { p50: number; p99: number; max: number; count: number };
  readyReads: Array<[string, number]>;
}

async function consume(
  dir: string,
  pki: string,
  url: string,
  objectsFile: string,
  events: number,
): Promise<ConsumerOutput> {
  const kubeconfig = join(dir, 'replay-kubeconfig.yaml');
  writeFileSync(
    kubeconfig,
    `apiVersion: v1\nkind: Config\nclusters: [{name: replay, cluster: {server: "${url}", certificate-authority: "${join(pki, 'ca.crt')}"}}]\nusers: [{name: replay, user: {}}]\ncontexts: [{name: replay, context: {cluster: replay, user: replay}}]\ncurrent-context: replay\n`,
  );
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(root, 'bench/apply/replay-consumer.ts'),
      kubeconfig,
      objectsFile,
      String(events),
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_PROXY: '127.0.0.1' } },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (data) => {
    stdout += String(data);
  });
  child.stderr.on('data', (data) => {
    stderr += String(data);
  });
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`replay-consumer exited ${code}: ${stderr.slice(-2000)}`);
  return JSON.parse(stdout) as ConsumerOutput;
}

/** `pki`: the lab's, so the replay is served over TLS with the API server's certificate, as the watch was. */
export async function watchReplay(dir: string, pki: string, recordingFiles: string[]) {
  const { frames, objects, events, spanMs } = framesOf(recordingFiles.map(readRecording));
  const recordedPerSecond = events / (spanMs / 1000);
  const objectsFile = join(dir, 'replay-objects.json');
  writeFileSync(objectsFile, JSON.stringify(objects));
  const speeds: Array<{ label: string; speed: number }> = [
    { label: '1,000 events/s', speed: 1000 / recordedPerSecond },
    { label: '10× recorded', speed: 10 },
    { label: '5,000 events/s', speed: 5000 / recordedPerSecond },
    { label: 'as fast as read', speed: Number.POSITIVE_INFINITY },
  ];
  const runs: Array<Record<string, unknown>> = [];
  for (const { label, speed } of speeds) {
    log(`watch replay: ${events} events of ${objects.length} Machines, ${label}…`);
    const server = await serveReplay(frames, speed, pki);
    const loadBefore = load();
    let output: ConsumerOutput;
    try {
      output = await consume(dir, pki, server.url, objectsFile, events);
    } finally {
      server.close();
    }
    // the server's write of each object's ready frame → vitictl's read of it (same host clock)
    const writeOf = new Map<string, number>();
    for (const [index, frame] of frames.entries())
      for (const key of frame.readyKeys) writeOf.set(key, server.writtenAt[index] as number);
    const delivery = output.readyReads.flatMap(([key, read]) => {
      const written = writeOf.get(key);
      return written === undefined ? [] : [read - written];
    });
    const seconds = output.readSpanMs / 1000;
    runs.push({
      label,
      speed: Number.isFinite(speed) ? round(speed, 2) : 'unpaced',
      events: output.events,
      ready: output.ready,
      eventsPerSecond: round(output.events / seconds, 0),
      readSeconds: round(seconds, 2),
      ownPartUs: {
        count: output.ownPart.count,
        p50: output.ownPart.p50,
        p99: output.ownPart.p99,
        max: output.ownPart.max,
      },
      writeToReadMs: summarize(delivery, 2),
      cpuMs: round(output.cpuMs, 0),
      coreShare: round(output.cpuMs / output.readSpanMs, 3),
      cpuUsPerEvent: round((output.cpuMs * 1000) / output.events, 1),
      maxRssMiB: round(output.maxRssMiB, 0),
      loadAverage: { before: loadBefore, after: load() },
    });
  }
  return {
    recorded: {
      rounds: recordingFiles.length,
      objects: objects.length,
      events,
      seconds: round(spanMs / 1000, 1),
      eventsPerSecond: round(recordedPerSecond, 0),
    },
    runs,
    note: "The timing rounds at 100/s, as the idle reader recorded them (every chunk of the Machine watch with its read time: ADDED, the operator's writes, DELETED at cleanup), played one after another by a node:https server on 127.0.0.1 (the lab API server's certificate) in the bench process: the collection answers an empty list, the watch writes each recorded chunk at its recorded offset ÷ speed. The consumer (bench/apply/replay-consumer.ts, its own process) is vitictl's built dist/: connect, KubeRest, ResumableWatch, ObjectTracker with the machines scenario's readiness rule (phase Running), every recorded Machine registered as created; it stops after reading every event. ownPartUs = the tracker's ownLag (the chunk read → the object marked ready, the ready listeners included); writeToReadMs = the consumer's read of an object's ready event − the server's write of that chunk (the host's socket and the consumer's event loop); coreShare = the consumer's user+system CPU from its first read to its last ÷ that span; maxRssMiB its peak. The lab sat idle beside it.",
  };
}
