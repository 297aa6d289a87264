import type { AnnSearchHit } from "./annSearchHit.js";

/** Best first: higher similarity, ties to the lower label so equal scores order the same way on every path. */
export function compareBestFirst(a: AnnSearchHit, b: AnnSearchHit): number {
  return b.similarity - a.similarity || a.label - b.label;
}

/** The k best of a stream, kept in a min-heap whose root is the worst kept, so most offers cost one comparison. */
export class TopK {
  private readonly heap: AnnSearchHit[] = [];

  constructor(private readonly k: number) {}

  offer(label: number, similarity: number): void {
    const candidate = { label, similarity };
    if (this.heap.length < this.k) {
      this.heap.push(candidate);
      this.siftUp(this.heap.length - 1);
    } else if (this.k > 0 && compareBestFirst(candidate, this.heap[0]!) < 0) {
      this.heap[0] = candidate;
      this.siftDown(0);
    }
  }

  bestFirst(): AnnSearchHit[] {
    return [...this.heap].sort(compareBestFirst);
  }

  /** True when `a` ranks below `b`, i.e. belongs nearer the root. */
  private isWorse(a: number, b: number): boolean {
    return compareBestFirst(this.heap[a]!, this.heap[b]!) > 0;
  }

  private swap(a: number, b: number): void {
    const kept = this.heap[a]!;
    this.heap[a] = this.heap[b]!;
    this.heap[b] = kept;
  }

  private siftUp(index: number): void {
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.isWorse(index, parent)) return;
      this.swap(index, parent);
      index = parent;
    }
  }

  private siftDown(index: number): void {
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let worst = index;
      if (left < this.heap.length && this.isWorse(left, worst)) worst = left;
      if (right < this.heap.length && this.isWorse(right, worst)) worst = right;
      if (worst === index) return;
      this.swap(index, worst);
      index = worst;
    }
  }
}
