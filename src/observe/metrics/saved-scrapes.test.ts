import { describe, expect, it } from 'vitest';
import { parseExposition } from './parse.js';
import { parseSavedScrapes } from './saved-scrapes.js';
import { type SavedScrapes, saveScrapes } from './scraper.js';
import { type SavedTarget, TargetStore } from './store.js';

function savedJson(): SavedScrapes {
  const store = new TargetStore('http://127.0.0.1:8080/metrics');
  store.add(0, parseExposition('# TYPE a counter\na 1\n'));
  store.add(1000, parseExposition('# TYPE a counter\na 2\nb 5\n'));
  return JSON.parse(JSON.stringify(saveScrapes([store])));
}

describe('reading a saved scrape set', () => {
  it('reads back what vitictl metrics scrape --out writes', () => {
    const saved = parseSavedScrapes(savedJson(), 's.json');
    expect(TargetStore.load(saved.targets[0] ?? expect.fail('one target')).increase('a')).toBe(1);
  });

  it('keeps +Inf and -Inf through the file (JSON has none: they were saved as null, read as absent)', () => {
    const store = new TargetStore('http://127.0.0.1:8080/metrics');
    store.add(0, parseExposition('# TYPE g gauge\ng{s="up"} +Inf\ng{s="down"} -Inf\ng{s="nan"} NaN\n'));
    const saved = parseSavedScrapes(JSON.parse(JSON.stringify(saveScrapes([store]))), 's.json');
    const values = saved.targets[0]!.series.map((column) => column.values[0]);
    expect(values).toEqual(['+Inf', '-Inf', null]);
    const back = TargetStore.load(saved.targets[0]!);
    expect(back.save().series.map((column) => column.values[0])).toEqual(values);
  });

  const first = (raw: SavedScrapes): SavedTarget => raw.targets[0] ?? expect.fail('one target');
  it.each<[string, (raw: SavedScrapes) => void, string]>([
    [
      'a target without times',
      (raw) => delete (first(raw) as Partial<SavedTarget>).times,
      '$.targets[0].times',
    ],
    [
      'an unknown metric type',
      (raw) => Object.assign(first(raw).families, { a: { type: 'meter' } }),
      '$.targets[0].families.a.type',
    ],
    [
      'a column shorter than its scrapes',
      (raw) => first(raw).series[0]?.values.pop(),
      '$.targets[0].series[0].values',
    ],
    ['a restart past the last scrape', (raw) => first(raw).restarts.push(2), '$.targets[0].restarts[0]'],
    [
      'times that go backwards',
      (raw) => first(raw).times.splice(0, 2, first(raw).times[1]!, first(raw).times[0]!),
      '$.targets[0].times[1]',
    ],
  ])('refuses %s, naming the JSON path', (_, damage, jsonPath) => {
    const raw = savedJson();
    damage(raw);
    expect(() => parseSavedScrapes(raw, 's.json')).toThrow(
      expect.objectContaining({ kind: 'input', location: { file: 's.json', jsonPath } }),
    );
  });
});
