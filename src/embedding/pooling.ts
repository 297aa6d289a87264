import { normaliseInPlace } from "./vectorMath.js";

/**
 * How a sentence vector is made from an encoder's token vectors: the mean of
 * the real tokens (sentence-transformers' MiniLM, e5) or the first token,
 * [CLS] (bge). Each model was trained with one; the other gives worse vectors.
 */
export type Pooling = "mean" | "cls";

export const poolings: readonly Pooling[] = ["mean", "cls"];

/** The encoder's last_hidden_state for a padded batch: `rows` texts of `columns` tokens, each token `width` floats. */
export interface HiddenStates {
  readonly hidden: Float32Array;
  /** 1 for a real token, 0 for padding, row after row. */
  readonly mask: BigInt64Array;
  readonly rows: number;
  readonly columns: number;
  readonly width: number;
}

/** One vector per row, pooled as `pooling` says, unit length when `normalize`. */
export function pool(states: HiddenStates, pooling: Pooling, normalize: boolean): Float32Array[] {
  const vectors = pooling === "cls" ? clsPool(states) : meanPool(states);
  return normalize ? vectors.map(normaliseInPlace) : vectors;
}

/** The first token's vector; the tokenizer puts [CLS] there, and padding only ever follows the text. */
function clsPool({ hidden, rows, columns, width }: HiddenStates): Float32Array[] {
  return Array.from({ length: rows }, (_, row) => hidden.slice(row * columns * width, row * columns * width + width));
}

/** Average of the token vectors that are real text (mask 1), as sentence-transformers does. */
function meanPool({ hidden, mask, rows, columns, width }: HiddenStates): Float32Array[] {
  const pooled: Float32Array[] = [];
  for (let row = 0; row < rows; row++) {
    const sum = new Float64Array(width); // accumulate in double so long texts lose no precision
    let tokens = 0;
    for (let column = 0; column < columns; column++) {
      if (mask[row * columns + column] === 0n) continue;
      tokens++;
      const offset = (row * columns + column) * width;
      for (let d = 0; d < width; d++) sum[d]! += hidden[offset + d]!;
    }
    const vector = new Float32Array(width);
    for (let d = 0; d < width; d++) vector[d] = sum[d]! / Math.max(tokens, 1);
    pooled.push(vector);
  }
  return pooled;
}
