/**
 * What the verification walk reads: every record of `$all` in commit order, system records included
 * (stream metadata and tombstones tell it about truncations and deletions). Written against this small
 * interface so the walk is tested without a server (test/esdbTamperEvidence.walk.test.ts); the server
 * implementation is esdbAllLogReader.ts.
 */

/** A commit/prepare position in `$all`, as the server reports it. */
export interface AllPosition {
  readonly commit: bigint;
  readonly prepare: bigint;
}

export interface LoggedEvent {
  readonly streamId: string;
  readonly revision: bigint;
  /** The ESDB event id (a UUID). */
  readonly eventId: string;
  readonly type: string;
  /** The body as the client reads it (parsed JSON, or bytes for a non-JSON event). */
  readonly data: unknown;
  readonly metadata: unknown;
  readonly position: AllPosition;
}

export interface AllLogReader {
  /** `$all` in commit order, from the start or strictly after `after`. */
  readAll(after?: AllPosition): AsyncIterable<LoggedEvent>;
  /** Where `$all` ends now (for progress), or undefined for an empty log. */
  headPosition(): Promise<AllPosition | undefined>;
}

export const comparePositions = (a: AllPosition, b: AllPosition): number => (a.commit === b.commit ? (a.prepare === b.prepare ? 0 : a.prepare < b.prepare ? -1 : 1) : a.commit < b.commit ? -1 : 1);
