import type { AnnIndex } from "../../vectorIndex/annIndex.js";

/**
 * A rebuild of the vector read model with the same embedding model folds the same log into the
 * same label → vector pairs the previous generation's saved HNSW graph already holds, and
 * building that graph again is nearly all of a rebuild's time. So the rebuild starts from the
 * previous graph and checks it against every batch it commits, in position order:
 *
 * - a label the table gains must be live in the graph with bit-identical vector; one the graph
 *   lacks (saved before that content was folded, or erased there already) is inserted as usual;
 * - a label the graph holds that the table did not gain by the batch's last position is extra,
 *   and a differing vector is foreign: either discards the graph (the store builds its own).
 *
 * Labels beyond the last batch are not checked yet, so searches must not see them meanwhile.
 */
export interface PreviousIndexAdoption {
  /** The previous generation's graph; it becomes the store's index once every label is checked. */
  readonly index: AnnIndex;
  /** The last position checked: labels above it are hidden from searches. */
  readonly checkedThrough: number;
  /** Live labels of the graph above `checkedThrough`. */
  readonly uncheckedLabels: number;
  /**
   * Checks one committed batch: `added` are the table's new rows in ascending position, `through`
   * its checkpoint after the batch. Returns the rows the graph lacks (to insert), or "mismatch".
   */
  check(added: ReadonlyArray<readonly [number, Float32Array]>, through: number): Array<readonly [number, Float32Array]> | "mismatch";
}

export function startPreviousIndexAdoption(previous: AnnIndex): PreviousIndexAdoption {
  const ahead = Uint32Array.from(previous.labels()).sort();
  let cursor = 0;
  let checkedThrough = 0;
  return {
    index: previous,
    get checkedThrough() {
      return checkedThrough;
    },
    get uncheckedLabels() {
      return ahead.length - cursor;
    },
    check(added, through) {
      const missing: Array<readonly [number, Float32Array]> = [];
      for (const [position, vector] of added) {
        if (cursor < ahead.length && ahead[cursor]! < position) return "mismatch";
        if (cursor < ahead.length && ahead[cursor] === position) {
          if (!previous.holdsVector(position, vector)) return "mismatch";
          cursor += 1;
        } else {
          missing.push([position, vector]);
        }
      }
      if (cursor < ahead.length && ahead[cursor]! <= through) return "mismatch";
      checkedThrough = through;
      return missing;
    },
  };
}
