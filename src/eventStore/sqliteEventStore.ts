import Database from "better-sqlite3";
import { Effect, Layer } from "effect";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { EventStore, type AppendResult, type EventStorePort, type ExpectedRevision, type NewEvent, type ReadAllOptions, type ReadStreamOptions, type RecordedEvent, type Subscription } from "./eventStorePort.js";
import { damageMarkerOf, readDamageMarker, writeDamageMarker } from "./damageMarker.js";
import { checkEvent, describeVerdict, eventChecksum } from "./eventChecksum.js";
import { concurrencyConflict, eventLogDamaged, idempotencyConflict, type ConcurrencyConflict, type EventStoreUnavailable, type IdempotencyConflict, streamNotFound, type EventLogDamaged } from "./eventStoreErrors.js";
import { startIntegrityCheck, type IntegrityFinding, type RunningIntegrityCheck } from "./integrityCheck.js";
import { chainedFormat, checksummedFormat, migrateChecksums, migrateHashChains, prepareLogTable, readLogFormat, type StoredEventRow } from "./sqliteLogFormat.js";
import { genesisHash, nextChainHash, nextStreamHash } from "./eventHashChain.js";
import { classifySqliteFailure, damageFound, isDamage, type FailureContext } from "./sqliteFailure.js";
import { waitForSignal, Signal } from "./signal.js";
import { groupCommit, type Outcome } from "../storage/groupCommit.js";

interface PendingAppend {
  readonly streamId: string;
  readonly events: readonly NewEvent[];
  readonly expected: ExpectedRevision;
}

/**
 * `full`: every commit is fsynced before it is acknowledged; a power loss loses
 *   nothing that was acknowledged. The default, because an acknowledged write
 *   must never vanish.
 * `normal`: WAL commits are fsynced at checkpoints only; a power loss (not a
 *   process crash) can lose the last commits since the last checkpoint. The
 *   database stays consistent. Measured here: ~3.8x the single-event append
 *   rate and ~2.9x faster warm edits; batched appends gain only ~10% (docs/benchmarks.md).
 */
export type Durability = "full" | "normal";

export interface SqliteEventStoreOptions {
  /** File path, or ":memory:" for a throwaway store. */
  readonly path: string;
  readonly durability?: Durability;
  /** How often a live subscription looks for events written by other processes. */
  readonly pollIntervalMs?: number;
  /** How long a write waits for another process's lock before failing with SQLITE_BUSY; default 5,000 ms. */
  readonly busyTimeoutMs?: number;
  /** Run `PRAGMA quick_check` in a worker thread at open (default: on for files); damage found makes the store refuse writes. */
  readonly integrityCheck?: boolean;
  /** Called after each commit that stored new events, with the head of the global hash chain (signed checkpoints, src/tamperEvidence/). */
  readonly afterCommit?: (head: ChainHead) => void;
}

/** The last stored position and its chain hash (eventHashChain.ts). */
export interface ChainHead {
  readonly position: number;
  readonly chainHash: Buffer;
}

/** The embedded store, plus what its open-time integrity check found (undefined when none runs). */
export interface SqliteEventStore extends EventStorePort {
  readonly integrity: Promise<IntegrityFinding> | undefined;
  /** The damage found so far (at open, by the integrity check or by a read), if any. */
  damage(): EventLogDamaged | undefined;
}

type EventRow = StoredEventRow;

class AppendRejected {
  constructor(readonly error: ReturnType<typeof concurrencyConflict> | ReturnType<typeof idempotencyConflict>) {}
}

export function openSqliteEventStore(options: SqliteEventStoreOptions): SqliteEventStore {
  const file = options.path;
  const onDisk = file !== ":memory:";
  if (onDisk) mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  let damage: EventLogDamaged | undefined = onDisk ? rememberedDamage(file) : undefined;
  const noteDamage = (found: EventLogDamaged) => {
    if (damage) return;
    damage = found;
    if (onDisk) writeDamageMarker(file, { finding: found.finding, ...pick(found), foundAt: new Date().toISOString() });
  };
  let format: number;
  try {
    db.pragma("journal_mode = WAL");
    db.pragma(`synchronous = ${options.durability === "normal" ? "NORMAL" : "FULL"}`);
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5_000}`);
    format = prepareLogTable(db);
  } catch (error) {
    // A file SQLite cannot even read the schema of: still open a store, one that refuses everything and says why.
    if (!isDamage(error)) {
      db.close();
      throw error;
    }
    db.close();
    noteDamage(damageFound({ file, operation: "open the log" }, `SQLite cannot read the file's header or schema: ${String(error)}`, error));
    return refusingEventStore(damage!);
  }
  if (format < checksummedFormat) {
    try {
      migrateChecksums(db);
      format = readLogFormat(db);
    } catch (error) {
      if (!isDamage(error)) {
        db.close();
        throw error;
      }
      noteDamage(damageFound({ file, operation: "write the checksums of events stored before checksums existed" }, `a row does not read back while the checksums of events stored before checksums existed were being written (${String(error)}); the rows not reached are read unchecked`, error));
    }
  }
  if (format >= checksummedFormat && format < chainedFormat) {
    try {
      migrateHashChains(db);
      format = readLogFormat(db);
    } catch (error) {
      if (!isDamage(error)) {
        db.close();
        throw error;
      }
      noteDamage(damageFound({ file, operation: "write the hash chains of events stored before them" }, `a row does not read back while the hash chains of events stored before them were being written (${String(error)})`, error));
    }
  }
  // Until every row has its checksum (a migration cut short by damage), rows without one are read unchecked.
  const legacyRowsUnchecked = format < checksummedFormat;

  /** Runs a statement; every engine error comes back typed, and damage is remembered so writes stop. */
  const guard = <A>(context: Omit<FailureContext, "file">, f: () => A): A => {
    try {
      return f();
    } catch (error) {
      const failure = classifySqliteFailure(error, { file, ...context });
      if (failure._tag === "EventLogDamaged") noteDamage(failure);
      throw failure;
    }
  };
  const attempt = <A>(context: Omit<FailureContext, "file">, f: () => A): Effect.Effect<A, EventStoreUnavailable> =>
    Effect.try({ try: () => guard(context, f), catch: (failure) => failure as EventStoreUnavailable });

  /** A stored row as an event, after checking its bytes against its checksum. */
  const verified = (row: EventRow): RecordedEvent => {
    const fields = { position: row.position, streamId: row.stream_id, revision: row.revision, eventId: row.event_id, type: row.type, schemaVersion: row.schema_version, data: row.data, metadata: row.metadata };
    const at = { file, streamId: row.stream_id, revision: row.revision, position: row.position };
    const typesHold = typeof row.stream_id === "string" && typeof row.event_id === "string" && typeof row.type === "string" && typeof row.data === "string" && typeof row.metadata === "string";
    if (!typesHold) throw noted(eventLogDamaged({ ...at, finding: "a stored field has the wrong type" }));
    const verdict = checkEvent(fields, row.checksum);
    if (verdict !== "ok" && !(verdict === "missing" && legacyRowsUnchecked)) throw noted(eventLogDamaged({ ...at, finding: `checksum ${verdict}: ${describeVerdict[verdict]}` }));
    try {
      return { eventId: row.event_id, type: row.type, schemaVersion: row.schema_version, data: JSON.parse(row.data), metadata: JSON.parse(row.metadata), streamId: row.stream_id, revision: row.revision, position: row.position };
    } catch (error) {
      throw noted(eventLogDamaged({ ...at, finding: `the stored JSON does not parse (${String(error)})` }));
    }
  };
  const noted = (found: EventLogDamaged) => {
    noteDamage(found);
    return found;
  };

  const integrityCheck: RunningIntegrityCheck | undefined = onDisk && options.integrityCheck !== false ? startIntegrityCheck(file) : undefined;
  const integrity = integrityCheck?.finding.then((finding) => {
    if (finding.kind === "damaged") noteDamage(eventLogDamaged({ file, finding: finding.finding, ...(finding.position !== undefined ? { position: finding.position } : {}) }));
    return finding;
  });

  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const appended = new Signal();
  const subscriptions = new Set<SqliteSubscription>();

  const currentRevisionStmt = db.prepare<[string], { revision: number }>("SELECT revision FROM events WHERE stream_id = ? ORDER BY revision DESC LIMIT 1");
  const streamHeadStmt = db.prepare<[string], { revision: number; stream_hash: Buffer | null }>("SELECT revision, stream_hash FROM events WHERE stream_id = ? ORDER BY revision DESC LIMIT 1");
  const chainHeadStmt = db.prepare<[], { chain_hash: Buffer | null }>("SELECT chain_hash FROM events ORDER BY position DESC LIMIT 1");
  const findByEventIdStmt = db.prepare<[string], { stream_id: string; revision: number; position: number }>(
    "SELECT stream_id, revision, position FROM events WHERE event_id = ?",
  );
  // Positions are assigned here, not by SQLite, because the checksum covers the position.
  const lastPositionStmt = db.prepare<[], { seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'events'");
  const insertStmt = db.prepare(
    "INSERT INTO events (position, stream_id, revision, event_id, type, schema_version, data, metadata, checksum, stream_hash, chain_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
  );
  const readForwardStmt = db.prepare<[string, number, number], EventRow>(
    "SELECT * FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision ASC LIMIT ?",
  );
  const readBackwardStmt = db.prepare<[string, number, number], EventRow>(
    "SELECT * FROM events WHERE stream_id = ? AND revision <= ? ORDER BY revision DESC LIMIT ?",
  );
  const readAllStmt = db.prepare<[number, number], EventRow>("SELECT * FROM events WHERE position > ? ORDER BY position ASC LIMIT ?");
  const headStmt = db.prepare<[], { head: number | null }>("SELECT MAX(position) AS head FROM events");

  // The chain head of the last commit, handed to `afterCommit`.
  let committedHead: ChainHead | undefined;
  const appendTx = db.transaction((streamId: string, events: readonly NewEvent[], expected: ExpectedRevision): AppendResult => {
    const streamHead = streamHeadStmt.get(streamId);
    const current = streamHead?.revision;
    const first = events[0];
    if (first) {
      const existing = findByEventIdStmt.get(first.eventId);
      // A retry of an append that already happened is a no-op, whatever its expectation.
      if (existing) return confirmRetry(streamId, events, existing);
    }
    const actual = current ?? "no_stream";
    if (expected === "no_stream" && current !== undefined) throw new AppendRejected(concurrencyConflict(streamId, expected, actual));
    if (expected === "stream_exists" && current === undefined) throw new AppendRejected(concurrencyConflict(streamId, expected, actual));
    if (typeof expected === "number" && expected !== current) throw new AppendRejected(concurrencyConflict(streamId, expected, actual));
    let revision = current ?? -1;
    let position = lastPositionStmt.get()?.seq ?? 0;
    let streamHash = streamHead?.stream_hash ?? genesisHash;
    let chainHash = chainHeadStmt.get()?.chain_hash ?? genesisHash;
    for (const event of events) {
      revision += 1;
      position += 1;
      const data = JSON.stringify(event.data);
      const metadata = JSON.stringify(event.metadata);
      const checksum = eventChecksum({ position, streamId, revision, eventId: event.eventId, type: event.type, schemaVersion: event.schemaVersion, data, metadata });
      streamHash = nextStreamHash(streamHash, checksum);
      chainHash = nextChainHash(chainHash, streamHash);
      try {
        insertStmt.run(position, streamId, revision, event.eventId, event.type, event.schemaVersion, data, metadata, checksum, streamHash, chainHash);
      } catch (error) {
        if (isUniqueViolation(error)) throw new AppendRejected(idempotencyConflict(streamId, event.eventId, "that id is already stored for another event"));
        throw error;
      }
    }
    committedHead = { position, chainHash };
    return { nextExpectedRevision: revision, position, alreadyApplied: false };
  });

  function confirmRetry(streamId: string, events: readonly NewEvent[], first: { stream_id: string; revision: number; position: number }): AppendResult {
    let last = first;
    for (const [i, event] of events.entries()) {
      const stored = i === 0 ? first : findByEventIdStmt.get(event.eventId);
      if (!stored || stored.stream_id !== streamId || stored.revision !== first.revision + i) {
        throw new AppendRejected(idempotencyConflict(streamId, event.eventId, "the batch does not match what was stored under those ids"));
      }
      last = stored;
    }
    return { nextExpectedRevision: last.revision, position: last.position, alreadyApplied: true };
  }

  /**
   * Appends of one turn of the event loop commit in one transaction (one fsync):
   * each runs in its own savepoint, so a refused append (conflict, idempotency)
   * leaves the others of its group standing.
   */
  const appendGroup = db.transaction((items: readonly PendingAppend[]): Outcome<AppendResult | AppendRejected>[] =>
    items.map((item) => {
      try {
        return { ok: true, value: appendTx(item.streamId, item.events, item.expected) };
      } catch (error) {
        if (error instanceof AppendRejected) return { ok: true, value: error };
        throw error;
      }
    }),
  );
  const submitAppend = groupCommit((items: readonly PendingAppend[]) => {
    const context = { operation: items.length === 1 ? `append to stream ${items[0]!.streamId}` : `append to ${items.length} streams`, ...(items.length === 1 ? { streamId: items[0]!.streamId } : {}) };
    committedHead = undefined;
    const outcomes = guard(context, () => appendGroup.immediate(items));
    if (outcomes.some((o) => o.ok && !(o.value instanceof AppendRejected) && !o.value.alreadyApplied)) appended.notify();
    // committedHead is set only when an append's savepoint is released, so it is the head the group committed.
    if (committedHead && options.afterCommit) {
      try {
        options.afterCommit(committedHead);
      } catch {
        // A checkpoint that cannot be written must not fail an append that is already durable; the next one retries.
      }
    }
    return outcomes;
  });

  const readPage = (after: number, limit: number) => guard({ operation: `read the log after position ${after}`, position: after + 1 }, () => readAllStmt.all(after, limit).map(verified));

  const port: SqliteEventStore = {
    engine: "sqlite",
    integrity,
    damage: () => damage,
    append: (streamId, events, expected) =>
      Effect.suspend((): ReturnType<EventStorePort["append"]> => {
        if (damage) return Effect.fail(damage);
        const context = { operation: `append to stream ${streamId}`, streamId };
        if (events.length === 0) return attempt(context, () => ({ nextExpectedRevision: currentRevisionStmt.get(streamId)?.revision ?? -1, position: 0, alreadyApplied: true }));
        return Effect.async<AppendResult, ConcurrencyConflict | IdempotencyConflict | EventStoreUnavailable>((resume) => {
          submitAppend({ streamId, events, expected }).then(
            (result) => resume(result instanceof AppendRejected ? Effect.fail(result.error) : Effect.succeed(result)),
            (failure: EventStoreUnavailable) => resume(Effect.fail(failure)),
          );
        });
      }),
    readStream: (streamId, options: ReadStreamOptions = {}) =>
      Effect.flatMap(
        attempt({ operation: `read stream ${streamId}`, streamId }, () => {
          const limit = options.maxCount ?? Number.MAX_SAFE_INTEGER;
          const rows =
            options.direction === "backward"
              ? readBackwardStmt.all(streamId, options.fromRevision ?? Number.MAX_SAFE_INTEGER, limit)
              : readForwardStmt.all(streamId, options.fromRevision ?? 0, limit);
          return rows.length === 0 && currentRevisionStmt.get(streamId) === undefined ? undefined : rows.map(verified);
        }),
        (events): ReturnType<EventStorePort["readStream"]> => (events === undefined ? Effect.fail(streamNotFound(streamId)) : Effect.succeed(events)),
      ),
    streamRevision: (streamId) => attempt({ operation: `read the revision of stream ${streamId}`, streamId }, () => currentRevisionStmt.get(streamId)?.revision),
    readAll: (options: ReadAllOptions = {}) => attempt({ operation: "read the log" }, () => readPage(options.after ?? 0, options.maxCount ?? 1000)),
    headPosition: () => attempt({ operation: "read the head of the log" }, () => headStmt.get()?.head ?? 0),
    health: () =>
      Effect.suspend(() => {
        if (damage) return Effect.fail(damage);
        return Effect.map(port.headPosition(), (head) => `head at position ${head}`);
      }),
    subscribeToAll: (options = {}) =>
      Effect.sync(() => {
        const subscription = new SqliteSubscription(options.after ?? 0, (after) => readPage(after, 500), appended, pollIntervalMs, () => subscriptions.delete(subscription));
        subscriptions.add(subscription);
        return subscription;
      }),
    close: () =>
      Effect.promise(async () => {
        integrityCheck?.cancel();
        await Promise.all([...subscriptions].map((s) => s.close()));
        if (db.open) db.close();
      }),
  };
  return port;
}

/** Damage an earlier process found and recorded beside the log: writes stay refused after a restart. */
function rememberedDamage(file: string): EventLogDamaged | undefined {
  const record = readDamageMarker(file);
  if (!record) return undefined;
  return eventLogDamaged({
    file,
    finding: `${record.finding} (found ${record.foundAt} and recorded in ${damageMarkerOf(file)}, which \`memledger log verify\` removes once the log checks out)`,
    ...pick(record),
  });
}

function pick(found: { readonly streamId?: string | undefined; readonly revision?: number | undefined; readonly position?: number | undefined }) {
  return {
    ...(found.streamId !== undefined ? { streamId: found.streamId } : {}),
    ...(found.revision !== undefined ? { revision: found.revision } : {}),
    ...(found.position !== undefined ? { position: found.position } : {}),
  };
}

/** The store of a file SQLite cannot open as a database: every call fails with the damage found. */
function refusingEventStore(damage: EventLogDamaged): SqliteEventStore {
  const refuse = () => Effect.fail(damage);
  return {
    engine: "sqlite",
    integrity: undefined,
    damage: () => damage,
    append: refuse,
    readStream: refuse,
    streamRevision: refuse,
    readAll: refuse,
    headPosition: refuse,
    health: refuse,
    subscribeToAll: refuse,
    close: () => Effect.void,
  };
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && "code" in error && String((error as { code: unknown }).code).startsWith("SQLITE_CONSTRAINT");
}

/** Catch-up from the checkpoint in pages, then wait for in-process appends or poll for other writers. */
class SqliteSubscription implements Subscription {
  private closed = false;
  private readonly wake = new Signal();

  constructor(
    private after: number,
    private readonly readPage: (after: number) => RecordedEvent[],
    private readonly appended: Signal,
    private readonly pollIntervalMs: number,
    private readonly onClose: () => void,
  ) {}

  async *[Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    while (!this.closed) {
      const page = this.readPage(this.after);
      for (const event of page) {
        if (this.closed) return;
        this.after = event.position;
        yield event;
      }
      if (page.length === 0) await waitForSignal([this.appended, this.wake], this.pollIntervalMs);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake.notify();
    this.onClose();
  }
}

/** How long opening waits for the integrity check before serving while it finishes in the background (docs/benchmarks.md). */
export const defaultIntegrityBudgetMs = 2_000;

/**
 * Opens the store and waits for its integrity check up to `integrityBudgetMs`: a small or medium log is
 * checked before the first request; a larger one serves meanwhile and stops taking writes if damage turns up.
 */
export async function openCheckedSqliteEventStore(options: SqliteEventStoreOptions & { readonly integrityBudgetMs?: number }): Promise<SqliteEventStore> {
  const store = openSqliteEventStore(options);
  if (store.integrity) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([store.integrity, new Promise<void>((resolve) => (timer = setTimeout(resolve, options.integrityBudgetMs ?? defaultIntegrityBudgetMs)))]);
    clearTimeout(timer);
  }
  return store;
}

/** The embedded event store as an Effect layer; the database closes with the scope. A damaged log still opens, refusing writes. */
export const layerSqliteEventStore = (options: SqliteEventStoreOptions & { readonly integrityBudgetMs?: number }) =>
  Layer.scoped(
    EventStore,
    Effect.acquireRelease(
      Effect.tryPromise({
        try: () => openCheckedSqliteEventStore(options),
        catch: (cause) => classifySqliteFailure(cause, { file: options.path, operation: "open the log" }),
      }),
      (store) => store.close(),
    ),
  );
