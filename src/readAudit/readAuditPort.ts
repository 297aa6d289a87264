/**
 * The read audit: who read what, kept apart from the memory streams so reads
 * (far more frequent than writes) never slow or block memory writes.
 */
export type ReadAction = "memory.get" | "memory.history" | "memory.diff" | "cube.list" | "search" | "feed.subscribe" | "export" | "memory.redaction" | "memory.unredacted" | "memory.transfer" | "memory.graph";

export interface ReadRecord {
  /** ISO-8601, from the injected clock. */
  readonly at: string;
  readonly tenantId: string;
  readonly principalId: string;
  /** The user an agent acted for, under a delegation. */
  readonly onBehalfOf?: string;
  readonly action: ReadAction;
  /** SHA-256 of the canonical request (query, filters, as-of); the text itself is not kept. */
  readonly queryFingerprint: string;
  readonly cubeIds: readonly string[];
  /** The units that came back; an empty list is recorded too (someone looked). */
  readonly memoryIds: readonly string[];
  readonly requestId?: string;
}

export interface StoredReadRecord extends ReadRecord {
  readonly seq: number;
}

export interface ReadQuery {
  readonly tenantId: string;
  /** Inclusive ISO-8601 bounds. */
  readonly from?: string;
  readonly to?: string;
  /** Records after this sequence number (paging). */
  readonly after?: number;
  readonly limit?: number;
}

export interface ReadAuditLog {
  /** Buffered: recorded within `flushIntervalMs`, or before returning in `sync` mode. */
  record(entry: ReadRecord): void;
  /** Writes whatever is buffered; resolves when it is on disk. */
  flush(): Promise<void>;
  whoRead(memoryId: string, query: ReadQuery): Promise<readonly StoredReadRecord[]>;
  readsBy(principalId: string, query: ReadQuery): Promise<readonly StoredReadRecord[]>;
  close(): Promise<void>;
}
