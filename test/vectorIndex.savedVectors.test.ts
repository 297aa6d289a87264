import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { rng } from "../bench/stats.js";
import { createAnnIndex, loadAnnIndex } from "../src/vectorIndex/annIndex.js";
import { readSavedVectors } from "../src/vectorIndex/hnswFileVectors.js";

// Real engine: hnswlib-node's own file format, read back from its bytes.
it("a loaded index holds bit for bit the vectors saved, read from hnswlib's file, tombstones and reused slots included", () => {
  const dir = mkdtempSync(join(tmpdir(), "memledger-ann-saved-"));
  try {
    const random = rng(3);
    const vector = () => Float32Array.from({ length: 48 }, () => random() - 0.5);
    const index = createAnnIndex({ dimensions: 48, initialCapacity: 16 });
    const live = new Map<number, Float32Array>();
    for (let label = 0; label < 300; label += 7) {
      const v = vector();
      index.add(label, v);
      live.set(label, v);
    }
    for (const label of [14, 70, 203]) {
      index.remove(label);
      live.delete(label);
    }
    const replaced = vector();
    index.add(21, replaced); // updated in place
    live.set(21, replaced);
    const reused = vector();
    index.add(1_000_000, reused); // takes a tombstoned slot
    live.set(1_000_000, reused);
    const file = join(dir, "index.ann");
    index.save(file, 1);

    const saved = readSavedVectors(file, 48, index.size + 2, new Set(live.keys()));
    expect(saved && [...saved.keys()].sort((a, b) => a - b)).toEqual([...live.keys()].sort((a, b) => a - b));
    const loaded = loadAnnIndex(file, 48)!.index;
    expect(loaded.size).toBe(live.size);
    for (const [label, v] of live) expect(loaded.holdsVector(label, v)).toBe(true);
    for (const label of [14, 70, 203]) expect(loaded.has(label)).toBe(false);
    expect(readSavedVectors(file, 47, index.size + 2, new Set(live.keys()))).toBeUndefined();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
