/** One neighbour an ANN or exact search found, by label. */
export interface AnnSearchHit {
  readonly label: number;
  /** Cosine similarity in [-1, 1]; higher is closer. */
  readonly similarity: number;
}
