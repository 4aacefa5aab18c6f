import { join } from 'node:path';
import { runtimeError, usageError } from '../../errors.js';
import { NetworkError, type RawResponse } from '../../kube/rest.js';
import { writeFileAtomically } from '../../util/atomic-write.js';
import { gunzipBounded } from '../../util/read-input.js';
import type { Target } from '../target.js';
import { DEFAULT_MAX_PROFILE_BYTES, decodeProfile, TOO_BIG_HINT } from './decode.js';

const PROFILE_KINDS = ['cpu', 'heap', 'allocs', 'goroutine', 'mutex', 'block'] as const;
export type ProfileKind = (typeof PROFILE_KINDS)[number];

export interface CaptureOptions {
  profile: ProfileKind;
  /** cpu: the sampling time (default 30, as Go's handler); others: a delta over N seconds */
  seconds?: number | undefined;
  /** goroutine only: 2 saves the text stack dump (debug=2) instead of the profile */
  debug?: 0 | 2 | undefined;
  outDir: string;
  now?: Date;
  signal?: AbortSignal;
  /** the largest profile read, as served and decompressed; default DEFAULT_MAX_PROFILE_BYTES */
  maxBytes?: number | undefined;
}

export interface CaptureResult {
  target: string;
  profile: ProfileKind;
  /** the path asked for, e.g. /debug/pprof/profile?seconds=3 */
  path: string;
  file: string;
  bytes: number;
  format: 'pb.gz' | 'txt';
  /** pb.gz: what is in it */
  sampleTypes?: string[];
  samples?: number;
  notes: string[];
}

/** The handler path for a profile (net/http/pprof). */
export function profilePath(options: Pick<CaptureOptions, 'profile' | 'seconds' | 'debug'>): string {
  const { profile, seconds, debug } = options;
  if (debug === 2) {
    if (profile !== 'goroutine')
      throw usageError('--debug 2 is for --profile goroutine (the text stack dump)');
    if (seconds !== undefined)
      throw usageError('--seconds and --debug 2 exclude each other (Go refuses both)');
    return 'goroutine?debug=2';
  }
  if (profile === 'cpu') return `profile?seconds=${seconds ?? 30}`;
  return seconds === undefined ? profile : `${profile}?seconds=${seconds}`;
}

/** Where a target keeps /debug/pprof: the URL's own …/debug/pprof prefix, else /debug/pprof. */
function pprofPrefix(target: Target): string {
  const match = /^(.*\/debug\/pprof)(?:\/.*)?$/.exec((target.defaultPath ?? '').split('?')[0] ?? '');
  return match ? match[1]! : '/debug/pprof';
}

/** A file-name-safe short name: 127.0.0.1-6060, or NS-POD for pod/NS/POD:PORT. */
export function targetSlug(name: string): string {
  const kube = /^(?:pod|service)\/([^/]+)\/([^:]+)/.exec(name);
  if (kube) return `${kube[1]}-${kube[2]}`;
  try {
    const url = new URL(name);
    return `${url.hostname}${url.port ? `-${url.port}` : ''}`.replace(/[^A-Za-z0-9._-]+/g, '_');
  } catch {
    return name.replace(/[^A-Za-z0-9._-]+/g, '_');
  }
}

function stamp(date: Date): string {
  // milliseconds too: two captures in one second must not overwrite each other
  return date.toISOString().replace(/[-:]/g, '');
}

function bodyText(response: RawResponse): string {
  return response.body.toString('utf8', 0, Math.min(response.body.length, 2000)).trim();
}

/** The error for a non-200 answer, with what to do about it. */
function httpFailure(target: Target, path: string, response: RawResponse): Error {
  const text = bodyText(response);
  const where = target.where(path);
  if (response.status === 404) {
    // through the API server's proxy a missing pod is a JSON Status, not the target's answer
    if (text.startsWith('{') && text.includes('"kind":"Status"')) {
      const message = /"message":"([^"]*)"/.exec(text)?.[1] ?? 'not found';
      return runtimeError(`${where}: ${message}`, { hint: 'check the pod/service name and -n' });
    }
    return runtimeError(`${where}: 404: the target serves no pprof`, {
      hint: 'set PprofBindAddress in the manager options (monitoring.enableProfiling: true for the VitiStack operators), and point at that port',
    });
  }
  if (response.status === 500 && /cpu profiling already in use/i.test(text)) {
    return runtimeError(`${where}: a CPU profile of this process is already running`, {
      hint: 'Go allows one CPU profile per process at a time: wait for the other capture (another vitictl or go tool pprof) to finish, then retry',
    });
  }
  if (response.status === 400 && /WriteTimeout/.test(text)) {
    return usageError(`${where}: ${text}`, 'use a smaller --seconds');
  }
  if (response.status === 401 || response.status === 403) {
    return runtimeError(`${where}: ${response.status}: ${text.split('\n')[0]}`, {
      hint: 'through the API server you need get on pods/proxy (or services/proxy) in that namespace',
    });
  }
  return runtimeError(`${where}: HTTP ${response.status}: ${text.split('\n')[0] ?? ''}`);
}

async function fetchPprof(
  target: Target,
  path: string,
  timeoutMs: number,
  maxBytes: number,
  signal: AbortSignal | undefined,
) {
  const full = `${pprofPrefix(target)}/${path}`;
  let response: RawResponse;
  try {
    response = await target.get(full, {
      timeoutMs,
      limit: { maxBytes, hint: TOO_BIG_HINT },
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    if (error instanceof NetworkError) {
      throw runtimeError(`cannot reach ${target.where(full)}: ${error.failure} (${error.code})`, {
        hint:
          error.failure === 'refused'
            ? 'nothing listens there: is pprof enabled (PprofBindAddress / monitoring.enableProfiling) and is this its port?'
            : (error.hint ?? 'check the address, the port and the network path to the target'),
      });
    }
    throw error;
  }
  if (response.status !== 200) throw httpFailure(target, full, response);
  const encoding = response.headers['content-encoding'];
  // pprof bodies are gzipped profile.proto themselves; only undo a transport encoding on top
  const body =
    encoding === 'gzip'
      ? gunzipBounded(response.body, { url: target.where(full) }, maxBytes, TOO_BIG_HINT)
      : response.body;
  return { full, body };
}

/** Fetch one profile (or the debug=2 dump) and save it exactly as served, atomically. */
export async function captureProfile(target: Target, options: CaptureOptions): Promise<CaptureResult> {
  const path = profilePath(options);
  const waitSeconds = options.profile === 'cpu' ? (options.seconds ?? 30) : (options.seconds ?? 0);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_PROFILE_BYTES;
  const { full, body } = await fetchPprof(target, path, (waitSeconds + 60) * 1000, maxBytes, options.signal);
  const text = options.debug === 2;
  const notes: string[] = [];
  let sampleTypes: string[] | undefined;
  let samples: number | undefined;
  if (!text) {
    // check it is a profile before saving it (an HTML page or an error text is not)
    const profile = decodeProfile(body, target.where(full), maxBytes);
    sampleTypes = profile.sampleTypes.map((t) => `${t.type}/${t.unit}`);
    samples = profile.samples.count;
    if (samples === 0 && (options.profile === 'mutex' || options.profile === 'block')) {
      notes.push(
        options.profile === 'mutex'
          ? 'no samples: the program has not turned mutex profiling on (runtime.SetMutexProfileFraction)'
          : 'no samples: the program has not turned block profiling on (runtime.SetBlockProfileRate)',
      );
    } else if (samples === 0 && options.profile === 'cpu') {
      notes.push('no samples: the process used no measurable CPU (100 Hz sampling) during the capture');
    } else if (samples === 0) notes.push('no samples in this profile');
  }
  const file = join(
    options.outDir,
    `${targetSlug(target.name)}-${options.profile}-${stamp(options.now ?? new Date())}.${text ? 'txt' : 'pb.gz'}`,
  );
  await writeFileAtomically(file, async (stream) => {
    if (!stream.write(body)) await new Promise((resolve) => stream.once('drain', resolve));
  });
  return {
    target: target.name,
    profile: options.profile,
    path: full,
    file,
    bytes: body.length,
    format: text ? 'txt' : 'pb.gz',
    ...(sampleTypes ? { sampleTypes } : {}),
    ...(samples !== undefined ? { samples } : {}),
    notes,
  };
}

/** The text stack dump of every goroutine (goroutine?debug=2). */
export async function fetchGoroutineDump(
  target: Target,
  maxBytes = DEFAULT_MAX_PROFILE_BYTES,
  signal?: AbortSignal,
): Promise<string> {
  const { body } = await fetchPprof(target, 'goroutine?debug=2', 60_000, maxBytes, signal);
  return body.toString('utf8');
}
