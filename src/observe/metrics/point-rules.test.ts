import { describe, expect, it } from 'vitest';
import type { Sample } from './model.js';
import { ExpositionError, parseExposition } from './parse.js';
import { HashedSamples, labelHash } from './point-rules.js';

/** Two values of label `a` whose hashes collide, found by trying values in order (deterministic). */
function collidingValues(): [string, string] {
  const seen = new Map<number, string>();
  for (let i = 0; ; i++) {
    const value = `v${i}`;
    const hash = labelHash('a', value);
    const other = seen.get(hash);
    if (other !== undefined) return [other, value];
    seen.set(hash, value);
  }
}

const strict = (text: string, format: 'text' | 'openmetrics') => () =>
  parseExposition(text, { strict: true, format });

describe('series told apart by label hashes, and by their labels when the hashes collide', () => {
  const [x, y] = collidingValues();

  it('found two label values with the same hash', () => {
    expect(x).not.toBe(y);
    expect(labelHash('a', x)).toBe(labelHash('a', y));
  });

  it('accepts two series whose hashes collide, in both formats', () => {
    expect(strict(`m{a="${x}"} 1\nm{a="${y}"} 2\n`, 'text')).not.toThrow();
    expect(strict(`# TYPE m gauge\nm{a="${x}"} 1\nm{a="${y}"} 2\n# EOF\n`, 'openmetrics')).not.toThrow();
    // two histogram points whose groups collide stay two points, each with its own +Inf
    const histogram = [x, y]
      .map((v) => `h_bucket{a="${v}",le="1"} 1\nh_bucket{a="${v}",le="+Inf"} 2\nh_count{a="${v}"} 2\n`)
      .join('');
    expect(strict(`# TYPE h histogram\n${histogram}`, 'text')).not.toThrow();
  });

  it('still finds the duplicate among series whose hashes collide', () => {
    expect(strict(`m{a="${x}"} 1\nm{a="${y}"} 2\nm{a="${y}"} 3\n`, 'text')).toThrow(/duplicate sample/);
    expect(
      strict(`# TYPE m gauge\nm{a="${x}"} 1 1\nm{a="${y}"} 1 1\nm{a="${x}"} 1 2\n# EOF\n`, 'openmetrics'),
    ).toThrow(ExpositionError);
  });

  it('takes label order and empty labels as the same series', () => {
    expect(strict('m{a="1",b="2"} 1\nm{b="2",a="1"} 2\n', 'text')).toThrow(/duplicate sample/);
    expect(strict('m{a="1",b=""} 1\nm{a="1"} 2\n', 'text')).toThrow(/duplicate sample/);
    expect(strict('m{a="1",b="2"} 1\nm{a="12",b=""} 2\n', 'text')).not.toThrow();
  });
});

describe('HashedSamples', () => {
  it('refuses a 65th series of one hash: only an input made to collide has that many', () => {
    const samples = new HashedSamples();
    const fail = (message: string): never => {
      throw new Error(message);
    };
    const sample = (i: number): Sample => ({ name: 'm', labels: { a: String(i) }, value: 1, line: i });
    const same = (i: number) => (other: Sample) => other.labels.a === String(i);
    for (let i = 0; i < 64; i++) samples.put(7, sample(i), undefined, fail);
    expect(samples.find(7, same(63))?.line).toBe(63);
    expect(() => samples.put(7, sample(64), undefined, fail)).toThrow(
      /more than 64 series share one label hash: an input made to collide/,
    );
  });
});
