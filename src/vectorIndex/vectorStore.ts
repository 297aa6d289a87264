import type { AnnSearchHit } from "./annSearchHit.js";
import { TopK } from "./topK.js";
import { clampSimilarity } from "./unitVector.js";

/**
 * Unit vectors by label in one growable Float32Array, kept dense (a removal moves the last
 * vector into the hole) so an exact scan is a tight loop over contiguous memory.
 */
export class VectorStore {
  private vectors: Float32Array;
  private labelBySlot: Uint32Array;
  private readonly slotByLabel = new Map<number, number>();

  constructor(
    readonly dimensions: number,
    initialCapacity: number,
  ) {
    const capacity = Math.max(1, initialCapacity);
    this.vectors = new Float32Array(capacity * dimensions);
    this.labelBySlot = new Uint32Array(capacity);
  }

  get size(): number {
    return this.slotByLabel.size;
  }

  has(label: number): boolean {
    return this.slotByLabel.has(label);
  }

  labels(): IterableIterator<number> {
    return this.slotByLabel.keys();
  }

  /** The label at dense position `slot` (0 ≤ slot < size); for sampling. */
  labelAt(slot: number): number {
    return this.labelBySlot[slot]!;
  }

  /** A view of the stored unit vector of `label` (valid until the next change), or undefined. */
  get(label: number): Float32Array | undefined {
    const slot = this.slotByLabel.get(label);
    return slot === undefined ? undefined : this.vectors.subarray(slot * this.dimensions, (slot + 1) * this.dimensions);
  }

  /** Stores a unit vector under `label`, replacing the vector of a live label. */
  set(label: number, unitVector: Float32Array): void {
    let slot = this.slotByLabel.get(label);
    if (slot === undefined) {
      slot = this.size;
      this.ensureCapacity(slot + 1);
      this.slotByLabel.set(label, slot);
      this.labelBySlot[slot] = label;
    }
    this.vectors.set(unitVector, slot * this.dimensions);
  }

  /** Returns false when the label was not stored. */
  delete(label: number): boolean {
    const slot = this.slotByLabel.get(label);
    if (slot === undefined) return false;
    const lastSlot = this.size - 1;
    if (slot !== lastSlot) {
      const movedLabel = this.labelBySlot[lastSlot]!;
      this.vectors.copyWithin(slot * this.dimensions, lastSlot * this.dimensions, (lastSlot + 1) * this.dimensions);
      this.labelBySlot[slot] = movedLabel;
      this.slotByLabel.set(movedLabel, slot);
    }
    // Zero the vacated slot so a removed vector does not linger in memory.
    this.vectors.fill(0, lastSlot * this.dimensions, (lastSlot + 1) * this.dimensions);
    this.slotByLabel.delete(label);
    return true;
  }

  /** Exact top-k over every stored label accepted by `accept` (all when omitted). */
  topK(query: Float32Array, k: number, accept?: (label: number) => boolean): AnnSearchHit[] {
    const best = new TopK(k);
    for (let slot = 0; slot < this.size; slot += 1) {
      const label = this.labelBySlot[slot]!;
      if (accept && !accept(label)) continue;
      best.offer(label, this.similarityAt(slot, query));
    }
    return best.bestFirst();
  }

  /** Exact top-k over the given labels; unknown labels and repeats are skipped. */
  topKAmong(query: Float32Array, k: number, labels: Iterable<number>): AnnSearchHit[] {
    const best = new TopK(k);
    // A set cannot repeat a label, so it needs no second set to skip repeats (it may hold tens of thousands).
    const seen = labels instanceof Set ? undefined : new Set<number>();
    for (const label of labels) {
      const slot = this.slotByLabel.get(label);
      if (slot === undefined || seen?.has(label)) continue;
      seen?.add(label);
      best.offer(label, this.similarityAt(slot, query));
    }
    return best.bestFirst();
  }

  private similarityAt(slot: number, query: Float32Array): number {
    const vectors = this.vectors;
    const dimensions = this.dimensions;
    const offset = slot * dimensions;
    // Four independent sums let V8 overlap the multiply-adds; this loop is the whole cost of a scan.
    let sum0 = 0;
    let sum1 = 0;
    let sum2 = 0;
    let sum3 = 0;
    let i = 0;
    for (; i + 3 < dimensions; i += 4) {
      sum0 += vectors[offset + i]! * query[i]!;
      sum1 += vectors[offset + i + 1]! * query[i + 1]!;
      sum2 += vectors[offset + i + 2]! * query[i + 2]!;
      sum3 += vectors[offset + i + 3]! * query[i + 3]!;
    }
    for (; i < dimensions; i += 1) sum0 += vectors[offset + i]! * query[i]!;
    return clampSimilarity(sum0 + sum1 + sum2 + sum3);
  }

  private ensureCapacity(slots: number): void {
    if (slots <= this.labelBySlot.length) return;
    const capacity = Math.max(slots, this.labelBySlot.length * 2);
    const vectors = new Float32Array(capacity * this.dimensions);
    vectors.set(this.vectors);
    this.vectors = vectors;
    const labelBySlot = new Uint32Array(capacity);
    labelBySlot.set(this.labelBySlot);
    this.labelBySlot = labelBySlot;
  }
}
