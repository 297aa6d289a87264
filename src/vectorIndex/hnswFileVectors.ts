import { closeSync, openSync, readSync } from "node:fs";

/**
 * hnswlib's saved index starts with a fixed header (hnswalg.h `saveIndex`: six size_t, an int, a
 * uint32, three size_t, a double, a size_t), then one level-0 record per element: its links, its
 * vector (float32), its label (size_t), all little-endian on the platforms Node builds hnswlib for.
 */
const HEADER_BYTES = 96;
const LABEL_BYTES = 8;
/** Records read per system call. */
const RECORDS_PER_READ = 4_096;

/**
 * The vectors of the given labels as hnswlib saved them in `file`, read from the bytes: hnswlib-node's
 * getPoint copies each through a JS array (about 30 µs a point, most of loading a large index).
 * Undefined when the header does not describe `elements` records of `dimensions` floats, or a label is
 * missing; the caller then asks hnswlib point by point.
 */
export function readSavedVectors(file: string, dimensions: number, elements: number, labels: ReadonlySet<number>): Map<number, Float32Array> | undefined {
  const fd = openSync(file, "r");
  try {
    const header = Buffer.alloc(HEADER_BYTES);
    if (readSync(fd, header, 0, HEADER_BYTES, 0) !== HEADER_BYTES) return undefined;
    const offsetLevel0 = Number(header.readBigUInt64LE(0));
    const count = Number(header.readBigUInt64LE(16));
    const recordBytes = Number(header.readBigUInt64LE(24));
    const labelOffset = Number(header.readBigUInt64LE(32));
    const dataOffset = Number(header.readBigUInt64LE(40));
    const vectorBytes = dimensions * 4;
    if (offsetLevel0 !== 0 || count !== elements || labelOffset !== dataOffset + vectorBytes || recordBytes !== labelOffset + LABEL_BYTES) return undefined;
    const vectors = new Map<number, Float32Array>();
    const chunk = Buffer.alloc(recordBytes * RECORDS_PER_READ);
    for (let first = 0; first < count; first += RECORDS_PER_READ) {
      const records = Math.min(RECORDS_PER_READ, count - first);
      const wanted = records * recordBytes;
      if (readSync(fd, chunk, 0, wanted, HEADER_BYTES + first * recordBytes) !== wanted) return undefined;
      for (let record = 0; record < records; record += 1) {
        const start = record * recordBytes;
        const label = Number(chunk.readBigUInt64LE(start + labelOffset));
        if (!labels.has(label)) continue; // a tombstone
        // A copy: the chunk is reused, and a Float32Array needs 4-byte alignment.
        const vector = new Float32Array(dimensions);
        new Uint8Array(vector.buffer).set(chunk.subarray(start + dataOffset, start + dataOffset + vectorBytes));
        vectors.set(label, vector);
      }
    }
    return vectors.size === labels.size ? vectors : undefined;
  } finally {
    closeSync(fd);
  }
}
