import type { ApplyProgress } from '../load/apply-engine.js';
import type { CliContext } from './context.js';

export interface ProgressSink {
  update(progress: ApplyProgress): void;
  phase(name: string): void;
  stop(): void;
}

function progressLine(p: ApplyProgress): string {
  const parts = [
    `${p.phase}`,
    `started ${p.started}/${p.planned}`,
    `created ${p.created}`,
    `ready ${p.ready}`,
    `failed ${p.failed}`,
    `timed out ${p.timedOut}`,
    `waiting ${p.waiting}`,
  ];
  if (p.phase === 'creating') parts.push(`${p.rate.toFixed(1)}/s`);
  parts.push(`${p.elapsedSeconds.toFixed(1)}s`);
  if (p.retrying)
    parts.push(
      `retrying for ${p.retrying.forSeconds.toFixed(0)}s: ${p.retrying.why} (is the API server up?)`,
    );
  return parts.join(' · ');
}

/**
 * Progress on stderr: an ora spinner on a TTY; outside one (CI, pipes) a plain line every 5 s;
 * nothing with --quiet.
 */
export async function makeProgress(ctx: CliContext): Promise<ProgressSink> {
  if (ctx.globals.quiet) return { update() {}, phase() {}, stop() {} };
  if (ctx.interactive) {
    const { default: ora } = await import('ora');
    const spinner = ora({
      stream: ctx.io.stderr as NodeJS.WritableStream,
      color: ctx.errStyle.enabled ? 'cyan' : false,
    }).start('starting');
    return {
      update: (p) => {
        spinner.text = progressLine(p);
      },
      phase: (name) => {
        spinner.text = name;
      },
      stop: () => spinner.stop(),
    };
  }
  let last = 0;
  return {
    update: (p) => {
      const now = Date.now();
      if (now - last < 5000 && p.phase !== 'done') return;
      last = now;
      ctx.io.stderr.write(`${progressLine(p)}\n`);
    },
    phase: (name) => ctx.io.stderr.write(`phase: ${name}\n`),
    stop() {},
  };
}
