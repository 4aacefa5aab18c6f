import { z } from 'zod';
import { formatPath } from '../../config/zod-errors.js';
import { inputError } from '../../errors.js';
import { redactUrl } from '../../util/redact-url.js';
import type { MetricType } from './model.js';
import type { SavedScrapes } from './scraper.js';

const METRIC_TYPES = [
  'counter',
  'gauge',
  'histogram',
  'summary',
  'untyped',
  'unknown',
  'info',
  'stateset',
  'gaugehistogram',
] as const satisfies readonly MetricType[];

const savedTargetSchema = z.object({
  target: z.string(),
  times: z.array(z.number()),
  restarts: z.array(z.number().int().nonnegative()),
  families: z.record(z.string(), z.object({ type: z.enum(METRIC_TYPES), help: z.string().optional() })),
  series: z.array(
    z.object({
      name: z.string(),
      family: z.string(),
      labels: z.record(z.string(), z.string()),
      values: z.array(z.union([z.number(), z.null(), z.literal('+Inf'), z.literal('-Inf')])),
    }),
  ),
});

const savedScrapesSchema = z.object({
  kind: z.literal('vitictl.io/Scrapes'),
  version: z.literal(1),
  targets: z.array(savedTargetSchema),
});

const HINT = 'write it with vitictl metrics scrape … --out FILE';

/** A saved scrape set read back: its shape checked, and every column as long as its target's times. */
export function parseSavedScrapes(raw: unknown, file: string): SavedScrapes {
  const parsed = savedScrapesSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw inputError(`not a saved scrape set (kind vitictl.io/Scrapes, version 1): ${issue?.message}`, {
      location: { file, jsonPath: `$${issue?.path.length ? formatPath(issue.path) : ''}` },
      hint: HINT,
    });
  }
  parsed.data.targets.forEach((target, t) => {
    // vitictl saves target URLs redacted; a file from elsewhere must not make it show credentials
    target.target = redactUrl(target.target);
    const scrapes = target.times.length;
    // rates and windows divide by the time between scrapes: it must move forward
    const backwards = target.times.findIndex((time, i) => i > 0 && !(time > target.times[i - 1]!));
    if (backwards !== -1) {
      throw inputError(
        `scrape ${backwards} is at ${target.times[backwards]}, not after scrape ${backwards - 1} at ${target.times[backwards - 1]}`,
        { location: { file, jsonPath: `$.targets[${t}].times[${backwards}]` }, hint: HINT },
      );
    }
    const series = target.series.findIndex((column) => column.values.length !== scrapes);
    if (series !== -1) {
      throw inputError(
        `series ${series} has ${target.series[series]?.values.length} values for ${scrapes} scrapes`,
        { location: { file, jsonPath: `$.targets[${t}].series[${series}].values` }, hint: HINT },
      );
    }
    const restart = target.restarts.findIndex((at) => at >= scrapes);
    if (restart !== -1) {
      throw inputError(`restart ${restart} is at scrape ${target.restarts[restart]} of ${scrapes}`, {
        location: { file, jsonPath: `$.targets[${t}].restarts[${restart}]` },
        hint: HINT,
      });
    }
  });
  return parsed.data;
}
