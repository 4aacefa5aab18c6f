import { describe, expect, it } from 'vitest';
import { thrownBy } from '../../test/helpers/errors.js';
import { formatLocation } from '../errors.js';
import { parseGatesFile } from './load-gates.js';

const failure = (text: string) => thrownBy(() => parseGatesFile('gates.yaml', text));

describe('a gates file', () => {
  it('is a list of gates, or gates: [...]', () => {
    expect(parseGatesFile('g.yaml', '- ready.p99 < 30s\n').map((gate) => gate.metric)).toEqual(['ready.p99']);
    expect(parseGatesFile('g.yaml', 'gates:\n  - create.errorRate < 1%\n')[0]?.right).toEqual({ value: 1 });
  });

  it.each([
    ['an empty file', '', /the gates file is empty/, 'gates.yaml'],
    ['a comment only', '# nothing\n', /the gates file is empty/, 'gates.yaml'],
    ['a scalar', 'ready.p99 < 30s\n', /not a list of gates/, 'gates.yaml:1:1'],
    [
      'a gate without a threshold',
      '- ready.p50 < 1s\n- ready.p99 <\n',
      /no threshold after "<"/,
      'gates.yaml:2:3',
    ],
    ['an unknown metric', 'gates:\n  - foo.p99 < 1s\n', /unknown metric "foo.p99"/, 'gates.yaml:2:5'],
    ['a bad unit', '- ready.p99 < 3 parsecs\n', /"3 parsecs" is not a duration/, 'gates.yaml:1:3'],
    ['garbage after the threshold', '- "ready.p99 < 30s x"\n', /"30s x" is not a duration/, 'gates.yaml:1:3'],
    [
      'a gate that is not a string',
      '- ready.p99 < 1s\n- {a: 1}\n',
      /gate 2 is not a string/,
      'gates.yaml:2:3',
    ],
  ])('refuses %s at parse time, naming file:line:column', (_, text, message, where) => {
    const error = failure(text);
    expect(error.kind).toBe('input');
    expect(error.message).toMatch(message);
    expect(formatLocation(error.location)).toBe(where);
  });
});
