import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { mutated, onlyInputErrors } from '../../test/helpers/fuzz.js';
import { packagePath } from '../util/package-root.js';
import { parseGatesFile } from './load-gates.js';
import { parseScenario } from './load-scenario.js';
import { profileSchema } from './profile-schema.js';
import { parseYamlSource } from './yaml-source.js';
import { zodToInputError } from './zod-errors.js';

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');
const yamlish = fc
  .array(
    fc.constantFrom(
      'a',
      ':',
      ' ',
      '-',
      '\n',
      '  ',
      '[',
      ']',
      '{',
      '}',
      ',',
      '&x',
      '*x',
      '!!',
      '"',
      "'",
      '#',
      '|',
      '>',
      '?',
      '1',
      '%',
    ),
    {
      maxLength: 80,
    },
  )
  .map((parts) => parts.join(''));

describe('YAML inputs on hostile text', () => {
  const scenario = readFileSync(packagePath('scenarios', 'mixed.yaml'));
  const profile = readFileSync(packagePath('profiles', 'smoke.yaml'));

  it('a mutated or arbitrary scenario is a scenario or an input error', () => {
    onlyInputErrors(mutated(scenario), (bytes) => parseScenario('s.yaml', text(bytes)), 150);
    onlyInputErrors(yamlish, (source) => parseScenario('s.yaml', source), 150);
  });

  it('a mutated profile is a profile or an input error', () => {
    onlyInputErrors(mutated(profile), (bytes) => {
      const source = parseYamlSource('p.yaml', text(bytes));
      const parsed = profileSchema.safeParse(source.value);
      if (!parsed.success) throw zodToInputError(parsed.error, source, 'profile', '');
    });
  });

  it('an arbitrary gates file is gates or an input error', () => {
    const gate = fc
      .tuple(
        fc.constantFrom('ready.p99', 'create.errorRate', 'achievedRate', 'x', ''),
        fc.constantFrom('<', '<=', '>=', '==', '!=', '', ' < <'),
        fc.string({ maxLength: 12 }),
      )
      .map(([metric, op, threshold]) => JSON.stringify(`${metric} ${op} ${threshold}`));
    onlyInputErrors(fc.array(gate, { maxLength: 4 }), (gates) =>
      parseGatesFile('g.yaml', gates.map((g) => `- ${g}`).join('\n')),
    );
    onlyInputErrors(yamlish, (source) => parseGatesFile('g.yaml', source));
  });
});
