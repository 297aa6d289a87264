/** hnswlib-node passes labels as uint32 and silently wraps anything larger, so labels are checked before they reach it. */
export const MAX_LABEL = 0xffff_ffff;

export function assertLabel(label: number): void {
  if (!Number.isInteger(label) || label < 0 || label > MAX_LABEL) {
    throw new RangeError(
      `ANN index label ${label} is not an integer in 0..${MAX_LABEL} (hnswlib-node stores labels as uint32); pass the event position as a non-negative 32-bit integer.`,
    );
  }
}
