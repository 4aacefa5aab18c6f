const UNIT_MS: Record<string, number> = { us: 0.001, µs: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(?:(\d+(?:\.\d+)?)(us|µs|ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d+)?)(us|µs|ms|s|m|h)/g;

/** Parse a Go-style duration ("300us", "250ms", "30s", "1h30m"); undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!DURATION.test(trimmed)) return undefined;
  let total = 0;
  for (const match of trimmed.matchAll(PART)) {
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  }
  return total;
}

/** The one way a duration is written: "1.23s" from a second on, "247ms", "3.5ms" below 10 ms. */
export function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)}s`;
  return ms >= 10 ? `${ms.toFixed(0)}ms` : `${ms.toFixed(1)}ms`;
}
