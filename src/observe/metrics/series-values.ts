/**
 * One series' values, one per scrape of its store (NaN where the series was absent), kept as runs of
 * equal values for as long as that is the smaller form. Most of what a store keeps does not move
 * during a load: of the API server's ~12,000 kept series, ~850 changed in 10 s of creates on the lab.
 * As plain arrays, a 50-minute run scraped every 2 s held ~150 MB of numbers that were mostly repeats.
 */
export class SeriesValues {
  private size = 0;
  /** run k covers [starts[k], starts[k + 1]) with runValues[k]; both undefined once dense */
  private starts: number[] | undefined = [];
  private runValues: number[] | undefined = [];
  private dense: number[] | undefined;
  /** the run the last at() found: readers walk a window scrape by scrape */
  private cursor = 0;

  /** `count` scrapes without the series */
  static absent(count: number): SeriesValues {
    const values = new SeriesValues();
    if (count > 0) values.put(0, Number.NaN);
    values.size = count;
    return values;
  }

  static from(array: readonly number[]): SeriesValues {
    const values = new SeriesValues();
    for (const [i, value] of array.entries()) values.put(i, value);
    return values;
  }

  get length(): number {
    return this.size;
  }

  /** The value at scrape i (NaN outside the store's scrapes). */
  at(i: number): number {
    if (i < 0 || i >= this.size) return Number.NaN;
    if (this.dense) return this.dense[i]!;
    if (!this.inRun(this.cursor, i))
      this.cursor = this.inRun(this.cursor + 1, i) ? this.cursor + 1 : this.findRun(i);
    return this.runValues![this.cursor]!;
  }

  private inRun(k: number, i: number): boolean {
    const starts = this.starts!;
    return k < starts.length && starts[k]! <= i && i < (starts[k + 1] ?? this.size);
  }

  /** The run that holds scrape i (binary search). */
  private findRun(i: number): number {
    const starts = this.starts!;
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (starts[middle]! <= i) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  /** Sets the value at `index`: the next scrape (appended) or the last (a series written twice in one). */
  put(index: number, value: number): void {
    if (index === this.size) this.append(value);
    else if (index === this.size - 1) this.replaceLast(value);
    else
      throw new Error(`series values: scrape ${index} is neither the last (${this.size - 1}) nor the next`);
  }

  /** Values from `from` up to (not including) `to`, as Array.prototype.slice with in-range indices. */
  slice(from = 0, to = this.size): number[] {
    const end = Math.min(to, this.size);
    const out: number[] = [];
    if (this.dense) return this.dense.slice(Math.max(0, from), end);
    const starts = this.starts!;
    const runValues = this.runValues!;
    for (let k = 0; k < starts.length; k++) {
      const runEnd = starts[k + 1] ?? this.size;
      for (let i = Math.max(from, starts[k]!); i < Math.min(end, runEnd); i++) out.push(runValues[k]!);
    }
    return out;
  }

  toArray(): number[] {
    return this.slice();
  }

  private append(value: number): void {
    this.size++;
    if (this.dense) {
      this.dense.push(value);
      return;
    }
    const runValues = this.runValues!;
    if (runValues.length > 0 && Object.is(runValues.at(-1), value)) return;
    this.starts!.push(this.size - 1);
    runValues.push(value);
    // a run costs two numbers: past one run per two scrapes, a plain array is smaller
    if (runValues.length * 2 > this.size && this.size >= 8) {
      this.dense = this.toArray();
      this.starts = undefined;
      this.runValues = undefined;
    }
  }

  private replaceLast(value: number): void {
    const last = this.size - 1;
    if (this.dense) {
      this.dense[last] = value;
      return;
    }
    const starts = this.starts!;
    const runValues = this.runValues!;
    const k = starts.length - 1;
    if (Object.is(runValues[k], value)) return;
    if (starts[k]! < last) {
      starts.push(last);
      runValues.push(value);
    } else if (k > 0 && Object.is(runValues[k - 1], value)) {
      starts.pop();
      runValues.pop();
    } else {
      runValues[k] = value;
    }
  }
}
