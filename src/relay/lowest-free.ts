/**
 * Dense indices for one f32-columns sink (docs/protocol.md, "Column batches"): the lowest free index at each
 * take, a freed one given out again. Freed indices wait in a binary min-heap; every free index below `next`
 * is in it, so its top, when there is one, is the lowest free.
 */
export class LowestFree {
  private next = 0;
  private readonly heap: number[] = [];

  constructor(readonly limit: number) {}

  /** Indices in use. */
  get used(): number {
    return this.next - this.heap.length;
  }

  /** The lowest free index, or -1 when all `limit` are in use. */
  take(): number {
    const heap = this.heap;
    if (heap.length === 0) return this.next < this.limit ? this.next++ : -1;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      // Sift the last element down from the root.
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= heap.length) break;
        const c = l + 1 < heap.length && heap[l + 1]! < heap[l]! ? l + 1 : l;
        if (heap[c]! >= last) break;
        heap[i] = heap[c]!;
        i = c;
      }
      heap[i] = last;
    }
    return top;
  }

  /** Gives `index` back; the caller frees only what it took, once. */
  free(index: number): void {
    const heap = this.heap;
    let i = heap.length;
    heap.push(index);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]! <= index) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = index;
  }
}
