/** Counts per whole second of the run (for delivery over time and frames per second). */
export class PerSecond {
  private readonly counts: number[] = [];

  add(second: number, n = 1): void {
    if (!(second >= 0)) second = 0;
    const s = Math.floor(second);
    while (this.counts.length <= s) this.counts.push(0);
    this.counts[s] = (this.counts[s] ?? 0) + n;
  }

  get length(): number {
    return this.counts.length;
  }

  at(second: number): number {
    return this.counts[second] ?? 0;
  }

  total(): number {
    let sum = 0;
    for (const c of this.counts) sum += c;
    return sum;
  }
}
