import {
  ANY,
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  StreamDeletedError,
  StreamNotFoundError,
  WrongExpectedVersionError,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type AppendExpectedRevision,
  type CurrentRevision,
  type EventData,
  type JSONType,
  type Position,
  type ResolvedEvent,
  type StreamingRead,
} from "@eventstore/db-client";
import { Effect, Layer } from "effect";
import { redactUrl } from "../redactUrl.js";
import { createHash } from "node:crypto";
import { EventStore, type AppendResult, type EventMetadata, type EventStorePort, type ExpectedRevision, type NewEvent, type ReadAllOptions, type ReadStreamOptions, type RecordedEvent, type Subscription } from "./eventStorePort.js";
import { concurrencyConflict, EventStoreUnavailable, idempotencyConflict, streamNotFound, type ConcurrencyConflict, type IdempotencyConflict, type StreamNotFound } from "./eventStoreErrors.js";
import { chainBatch, chainField, storedStreamHash } from "./esdbStreamChain.js";
import { genesisHash } from "./eventHashChain.js";

/**
 * EventStoreDB / KurrentDB adapter of the event-store port, over gRPC with
 * `@eventstore/db-client`. Needs server 22.6 or newer (stream reads carry log
 * positions from that version on); docker-compose.yml runs 24.10.
 *
 * Storage layout of one event:
 * - ESDB event id = our `eventId` when it is a lowercase UUID (what the engine
 *   generates). Any other id is mapped to a name-based (v5-style) UUID, so a
 *   retry still maps to the same id, and the original string is kept in the
 *   metadata as `eventId`.
 * - ESDB event type = our `type`; data = our `data` as JSON.
 * - ESDB metadata = `{ ...metadata, schemaVersion }` (plus `eventId`, see above),
 *   read back by taking those keys out again.
 *
 * Global position: the event's commit position, `Number(commit)`. The server
 * writes every event of an append as its own self-committed log record, so the
 * commit position of each event is its own log offset: unique per event and
 * increasing in commit order, the same number in `$all` reads, stream reads and
 * the append result. (Legacy TCP-client explicit transactions share one commit
 * position among their events; memledger never writes those.) Numbers stay exact
 * up to 2^53 bytes of log. A stream read from a server that cannot say where an
 * event was committed yields `UNKNOWN_POSITION`; `$all` reads always know.
 *
 * Retries and `alreadyApplied`: the server dedupes a retried append by itself
 * only when the retry carries the same expected revision (for `any`, only while
 * the ids are still in its in-memory cache). A retry with another expectation
 * gets WrongExpectedVersion, and a batch that puts new ids in front of stored
 * ones can be written, duplicating those ids. Neither the success reply nor its
 * revision tells a fresh write from a deduped one. So before writing, `append`
 * reads the target stream backwards (up to `idempotencyWindow` events) looking
 * for the batch's ids. That costs one extra read per append:
 * - the first id is stored and the whole batch follows it in order: nothing is
 *   written, `alreadyApplied: true`, with the revision and position of the
 *   stored batch (the same answer as the embedded adapter);
 * - some ids are stored but not as that exact batch: `IdempotencyConflict`;
 * - none is stored: the events are appended with the caller's expectation. If
 *   that fails with WrongExpectedVersion, the stream is scanned once more (a
 *   concurrent retry of the same batch may have landed in between) before the
 *   conflict is reported. A success reply without a position can only come
 *   from the server's own dedupe (older servers send one), so it is also
 *   reported as `alreadyApplied`. Newer servers send the stored position, so
 *   when two copies of one append race each other, both may report
 *   `alreadyApplied: false`. The events are still stored only once.
 * Event ids are unique per stream here, not across streams as in SQLite.
 *
 * Tamper evidence: every event carries its stream's hash chain in its metadata
 * (`$chain`, src/eventStore/esdbStreamChain.ts), read back out again.
 * Chaining needs the stream's last event: the retry scan above reads it anyway
 * (one extra backwards read of 1 only with `idempotencyWindow: 0`). An append
 * with `any`/`stream_exists` is pinned to the revision of that event, and
 * retried on a concurrency conflict with the new last event, so the chain never
 * forks; an append with an expected revision or `no_stream` keeps it as given.
 */
/** How many of a stream's newest events an append checks for a retried batch. */
export const DEFAULT_IDEMPOTENCY_WINDOW = 1_000;

export interface EventStoreDbEventStoreOptions {
  /** Connection string, e.g. `esdb://localhost:2113?tls=false`. */
  readonly url: string;
  /**
   * How many of a stream's newest events an append scans for its batch's event
   * ids (retry detection, see above). Default: the newest 1,000 (DEFAULT_IDEMPOTENCY_WINDOW). A larger
   * window recognises older retries at the cost of a longer read per append; a retry older than
   * the window is then written again instead of being recognised. 0 turns the
   * scan off, leaving only the server's own dedupe.
   */
  readonly idempotencyWindow?: number;
  /** A client to use instead of connecting to `url` (tests: a fake client with the same calls). */
  readonly client?: EventStoreDBClient;
}

/** How often an append with `any`/`stream_exists` re-reads the stream's last event after losing a race for it. */
const PINNED_APPEND_ATTEMPTS = 50;

/** The last event of a stream: what the next event's stream hash chains from. */
interface StreamHead {
  readonly revision: bigint;
  /** Genesis for an event written before chains (or by another tool): the chain starts again after it. */
  readonly streamHash: Buffer;
}

/** The `position` of an event read from a stream when the server cannot tell where it was committed. */
export const UNKNOWN_POSITION = -1;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Fixed namespace for mapping non-UUID event ids to UUIDs; never change it, or retries stop matching. */
const EVENT_ID_NAMESPACE = Buffer.from("0d632e1412e347989089cbe289490012", "hex");
/** The server reports an unknown commit position as 2^64 - 1; real positions are far below 2^63. */
const LARGEST_REAL_POSITION = 2n ** 63n;

/** The ESDB event id for one of our event ids: itself if it is a lowercase UUID, else a stable UUID derived from it. */
export function storedEventId(eventId: string): string {
  if (UUID.test(eventId)) return eventId;
  const hash = createHash("sha1").update(EVENT_ID_NAMESPACE).update(eventId, "utf8").digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function toExpectedRevision(expected: ExpectedRevision): AppendExpectedRevision {
  switch (expected) {
    case "no_stream":
      return NO_STREAM;
    case "any":
      return ANY;
    case "stream_exists":
      return STREAM_EXISTS;
    default:
      return BigInt(expected);
  }
}

function toNumberPosition(position: Position | undefined): number {
  if (!position || position.commit < 0n || position.commit >= LARGEST_REAL_POSITION) return UNKNOWN_POSITION;
  return Number(position.commit);
}

/** Where to resume reading `$all` to see everything after `after` (the event at `after` itself comes again, and is skipped). */
function resumeFrom(after: number): Position | typeof START {
  if (after <= 0) return START;
  const at = BigInt(Math.trunc(after));
  return { commit: at, prepare: at };
}

function describeRevision(revision: CurrentRevision): string | number {
  return revision === NO_STREAM ? "no_stream" : Number(revision);
}

function toEventData(event: NewEvent, id: string): EventData {
  const metadata: Record<string, unknown> = { ...event.metadata, schemaVersion: event.schemaVersion };
  if (id !== event.eventId) metadata["eventId"] = event.eventId;
  return {
    id,
    contentType: "application/json",
    type: event.type,
    // JSON.stringify(undefined) is not JSON; store it as null.
    data: (event.data === undefined ? null : event.data) as JSONType,
    metadata: metadata as JSONType,
  };
}

/** The fields this adapter reads from the client's recorded events (stream and `$all` reads alike). */
interface StoredEvent {
  readonly streamId: string;
  readonly id: string;
  readonly revision: bigint;
  readonly type: string;
  readonly data: unknown;
  readonly metadata?: unknown;
  readonly position?: Position;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function toRecorded(stored: StoredEvent): RecordedEvent {
  const { schemaVersion, eventId, [chainField]: _chain, ...metadata } = isPlainObject(stored.metadata) ? stored.metadata : {};
  return {
    eventId: typeof eventId === "string" ? eventId : stored.id,
    type: stored.type,
    // Events written by other tools carry no schema version; treat them as version 1.
    schemaVersion: typeof schemaVersion === "number" ? schemaVersion : 1,
    data: stored.data,
    metadata: metadata as unknown as EventMetadata,
    streamId: stored.streamId,
    revision: Number(stored.revision),
    position: toNumberPosition(stored.position),
  };
}

function headOf(event: StoredEvent): StreamHead {
  return { revision: event.revision, streamHash: storedStreamHash(event.metadata) ?? genesisHash };
}

const isSystemEvent = (event: StoredEvent): boolean => event.type.startsWith("$") || event.streamId.startsWith("$");

/** A user event from `$all`, or undefined for system events and unresolvable entries. */
function fromAll(resolved: AllStreamResolvedEvent): RecordedEvent | undefined {
  const event = resolved.event;
  if (!event || isSystemEvent(event)) return undefined;
  return toRecorded(event);
}

/**
 * Every event of a read, read to its end. Reads are bounded by `maxCount` and never cut
 * short: the client only forgets a gRPC read once the read has finished, and one that is
 * cancelled after the server has already sent everything never finishes, which would
 * leave `client.dispose()` waiting forever.
 */
async function collect<T>(read: StreamingRead<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of read) items.push(item);
  return items;
}

/** How many events one page of a multi-page scan asks for. */
const PAGE_SIZE = 256;

/** A typed failure thrown inside an adapter promise, passed through to the Effect error channel as is. */
class Rejected<E> {
  constructor(readonly error: E) {}
}

function describeCause(cause: unknown): string {
  return cause instanceof Error ? `${cause.constructor.name}: ${cause.message}` : String(cause);
}

export function openEventStoreDbEventStore(options: EventStoreDbEventStoreOptions): EventStorePort {
  const client = options.client ?? EventStoreDBClient.connectionString(options.url);
  const where = redactUrl(options.url);
  // Retries concern the latest appends; scanning a long stream whole on every write would make appends O(stream).
  const idempotencyWindow = options.idempotencyWindow ?? DEFAULT_IDEMPOTENCY_WINDOW;
  const subscriptions = new Set<EventStoreDbSubscription>();
  let closed = false;

  const unavailable = (what: string, cause: unknown) =>
    new EventStoreUnavailable({ message: `EventStoreDB at ${where}: ${what} failed: ${describeCause(cause)}`, cause });

  function attempt<A, E>(what: string, run: () => Promise<A>): Effect.Effect<A, E | EventStoreUnavailable> {
    return Effect.tryPromise({
      try: run,
      catch: (cause): E | EventStoreUnavailable => (cause instanceof Rejected ? (cause.error as E) : unavailable(what, cause)),
    });
  }

  /**
   * The answer to a retried append if the batch is already in the stream;
   * undefined if none of its ids is; an IdempotencyConflict if only some are,
   * or not as this exact batch.
   */
  async function findStoredBatch(streamId: string, events: readonly NewEvent[], ids: readonly string[]): Promise<{ readonly stored?: AppendResult; readonly head: StreamHead | undefined }> {
    const wanted = new Map(ids.map((id, index) => [id, index]));
    const found = new Map<number, { revision: number; position: number }>();
    let scanned = 0;
    let from: bigint | typeof END = END;
    let head: StreamHead | undefined;
    try {
      // Newest first, page by page, until every id is found, the window is used up or the stream begins.
      while (found.size < ids.length && scanned < idempotencyWindow) {
        const pageSize = Math.min(PAGE_SIZE, idempotencyWindow - scanned);
        const page: ResolvedEvent[] = await collect(client.readStream(streamId, { direction: BACKWARDS, fromRevision: from, maxCount: pageSize }));
        let oldest: bigint | undefined;
        for (const { event } of page) {
          if (!event) continue;
          head ??= headOf(event);
          scanned += 1;
          oldest = event.revision;
          const index = wanted.get(event.id);
          if (index !== undefined && !found.has(index)) found.set(index, { revision: Number(event.revision), position: toNumberPosition(event.position) });
        }
        if (page.length < pageSize || oldest === undefined || oldest === 0n) break;
        from = oldest - 1n;
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return { head: undefined };
      throw error;
    }
    // With the scan turned off, the chain still needs the last event.
    if (idempotencyWindow <= 0) head = await readHead(streamId);
    if (found.size === 0) return { head };
    const first = found.get(0);
    if (!first) {
      const index = Math.min(...found.keys());
      throw new Rejected(idempotencyConflict(streamId, events[index]!.eventId, "that id is already stored for another event"));
    }
    let last = first;
    for (const [index, event] of events.entries()) {
      const stored = found.get(index);
      if (!stored || stored.revision !== first.revision + index) {
        throw new Rejected(idempotencyConflict(streamId, event.eventId, "the batch does not match what was stored under those ids"));
      }
      last = stored;
    }
    return { stored: { nextExpectedRevision: last.revision, position: last.position, alreadyApplied: true }, head };
  }

  async function readHead(streamId: string): Promise<StreamHead | undefined> {
    try {
      const [resolved] = await collect(client.readStream(streamId, { direction: BACKWARDS, fromRevision: END, maxCount: 1 }));
      return resolved?.event ? headOf(resolved.event) : undefined;
    } catch (error) {
      if (error instanceof StreamNotFoundError || error instanceof StreamDeletedError) return undefined;
      throw error;
    }
  }

  async function readOne(streamId: string, revision: number): Promise<RecordedEvent | undefined> {
    const [resolved] = await collect(client.readStream(streamId, { direction: FORWARDS, fromRevision: BigInt(revision), maxCount: 1 }));
    return resolved?.event ? toRecorded(resolved.event) : undefined;
  }

  async function currentRevision(streamId: string): Promise<number | undefined> {
    try {
      const [resolved] = await collect(client.readStream(streamId, { direction: BACKWARDS, fromRevision: END, maxCount: 1 }));
      return resolved?.event ? Number(resolved.event.revision) : undefined;
    } catch (error) {
      if (error instanceof StreamNotFoundError || error instanceof StreamDeletedError) return undefined;
      throw error;
    }
  }

  async function append(streamId: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    if (events.length === 0) return { nextExpectedRevision: (await currentRevision(streamId)) ?? -1, position: 0, alreadyApplied: true };
    const ids = events.map((event) => storedEventId(event.eventId));
    const seen = new Set<string>();
    for (const [index, id] of ids.entries()) {
      if (seen.has(id)) throw new Rejected(idempotencyConflict(streamId, events[index]!.eventId, "that id appears twice in the batch"));
      seen.add(id);
    }

    let scan = await findStoredBatch(streamId, events, ids);
    if (scan.stored) return scan.stored;
    if (typeof expected === "number" && !(Number.isSafeInteger(expected) && expected >= 0)) {
      // No stream is ever at a negative or fractional revision (and the wire format cannot carry one).
      throw new Rejected(concurrencyConflict(streamId, expected, (await currentRevision(streamId)) ?? "no_stream"));
    }
    // `any` and `stream_exists` do not say which event the batch follows; the chain needs to know, so pin them.
    const pinned = expected === "any" || expected === "stream_exists";

    let result;
    for (let attempt = 1; ; attempt++) {
      const head = scan.head;
      const expectation: AppendExpectedRevision = pinned ? (head ? head.revision : expected === "any" ? NO_STREAM : STREAM_EXISTS) : toExpectedRevision(expected);
      // With an expected revision the server checks the head is that one; if it is not, the append is refused anyway.
      const predecessor = typeof expected === "number" ? (head?.revision === BigInt(expected) ? head : { revision: BigInt(expected), streamHash: genesisHash }) : expected === "no_stream" ? undefined : head;
      const chained = chainBatch(streamId, predecessor, events.map((event, index) => toEventData(event, ids[index]!) as EventData & { metadata: Record<string, unknown> }));
      try {
        result = await client.appendToStream(streamId, chained, { expectedRevision: expectation });
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) throw error;
        scan = await findStoredBatch(streamId, events, ids);
        if (scan.stored) return scan.stored;
        // Another writer appended between our read and our write: chain after its event instead.
        if (pinned && attempt < PINNED_APPEND_ATTEMPTS && (expected === "any" || scan.head)) continue;
        throw new Rejected(concurrencyConflict(streamId, expected, describeRevision(error.actualVersion)));
      }
      if (!result.success) {
        // Only when the connection string sets throwOnAppendFailure=false.
        scan = await findStoredBatch(streamId, events, ids);
        if (scan.stored) return scan.stored;
        if (pinned && attempt < PINNED_APPEND_ATTEMPTS && (expected === "any" || scan.head)) continue;
        throw new Rejected(concurrencyConflict(streamId, expected, (await currentRevision(streamId)) ?? "no_stream"));
      }
      break;
    }
    const nextExpectedRevision = Number(result.nextExpectedRevision);
    if (result.position) return { nextExpectedRevision, position: toNumberPosition(result.position), alreadyApplied: false };
    // A success without a position is the server's own dedupe: a concurrent identical append got there first.
    const last = await readOne(streamId, nextExpectedRevision);
    return { nextExpectedRevision, position: last?.position ?? UNKNOWN_POSITION, alreadyApplied: true };
  }

  async function readStream(streamId: string, options: ReadStreamOptions): Promise<readonly RecordedEvent[]> {
    const backward = options.direction === "backward";
    const maxCount = options.maxCount ?? Number.MAX_SAFE_INTEGER;
    const notFound = () => new Rejected(streamNotFound(streamId));
    if (maxCount <= 0 || (backward && options.fromRevision !== undefined && options.fromRevision < 0)) {
      if ((await currentRevision(streamId)) === undefined) throw notFound();
      return [];
    }
    const fromRevision = options.fromRevision === undefined ? (backward ? END : START) : BigInt(Math.max(0, Math.trunc(options.fromRevision)));
    try {
      const read: ResolvedEvent[] = await collect(client.readStream(streamId, { direction: backward ? BACKWARDS : FORWARDS, fromRevision, maxCount }));
      return read.flatMap((resolved) => (resolved.event ? [toRecorded(resolved.event)] : []));
    } catch (error) {
      // A deleted (tombstoned) stream has no events to give back, ever: report it as not found rather than as an outage.
      if (error instanceof StreamNotFoundError || error instanceof StreamDeletedError) throw notFound();
      throw error;
    }
  }

  async function readAll(options: ReadAllOptions): Promise<readonly RecordedEvent[]> {
    const after = options.after ?? 0;
    const maxCount = options.maxCount ?? 1000;
    const events: RecordedEvent[] = [];
    if (maxCount <= 0) return events;
    // Pages until `maxCount` user events are in: system events do not count, so a result is
    // short only at the end of the log. Each page restarts at the last position seen, inclusive.
    const pageSize = Math.max(maxCount + 1, 32);
    let seen = after;
    for (;;) {
      const page: AllStreamResolvedEvent[] = await collect(client.readAll({ direction: FORWARDS, fromPosition: resumeFrom(seen), maxCount: pageSize }));
      for (const resolved of page) {
        const position = toNumberPosition(resolved.event?.position);
        // Safe to skip by number: each event has its own commit position, increasing in log order,
        // so whatever is at or below `seen` was delivered before (a read restarts there inclusive).
        if (position <= seen) continue;
        seen = position;
        const event = fromAll(resolved);
        if (event) events.push(event);
        if (events.length === maxCount) return events;
      }
      if (page.length < pageSize) return events;
    }
  }

  async function headPosition(): Promise<number> {
    // Newest first, page by page, until the first user event; reading backwards from a position excludes it.
    let from: Position | typeof END = END;
    let previous = Number.POSITIVE_INFINITY;
    for (;;) {
      const page: AllStreamResolvedEvent[] = await collect(client.readAll({ direction: BACKWARDS, fromPosition: from, maxCount: 32 }));
      for (const resolved of page) {
        const event = fromAll(resolved);
        if (event) return event.position;
      }
      const oldest = page[page.length - 1]?.event?.position;
      if (page.length < 32 || !oldest || toNumberPosition(oldest) >= previous) return 0;
      previous = toNumberPosition(oldest);
      from = oldest;
    }
  }

  const port: EventStorePort = {
    engine: "eventstoredb",
    append: (streamId, events, expected) =>
      attempt<AppendResult, ConcurrencyConflict | IdempotencyConflict>(`append to ${streamId}`, () => append(streamId, events, expected)),
    readStream: (streamId, options = {}) => attempt<readonly RecordedEvent[], StreamNotFound>(`read of ${streamId}`, () => readStream(streamId, options)),
    streamRevision: (streamId) => attempt<number | undefined, never>(`revision of ${streamId}`, () => currentRevision(streamId)),
    readAll: (options = {}) => attempt<readonly RecordedEvent[], never>("read of $all", () => readAll(options)),
    headPosition: () => attempt<number, never>("head of $all", headPosition),
    health: () => Effect.map(attempt<number, never>("head of $all", headPosition), (head) => `head at position ${head}`),
    subscribeToAll: (options = {}) =>
      Effect.try({
        try: () => {
          const after = options.after ?? 0;
          const inner = client.subscribeToAll({ fromPosition: resumeFrom(after) });
          const subscription = new EventStoreDbSubscription(inner, after, unavailable, () => subscriptions.delete(subscription));
          subscriptions.add(subscription);
          return subscription;
        },
        catch: (cause) => unavailable("subscription to $all", cause),
      }),
    close: () =>
      Effect.promise(async () => {
        if (closed) return;
        closed = true;
        await Promise.all([...subscriptions].map((s) => s.close()));
        await client.dispose().catch(() => undefined);
      }),
  };
  return port;
}

/**
 * Our catch-up subscription over the client's `$all` subscription (itself
 * async-iterable): system events are dropped, and so is anything at or below
 * the checkpoint, which the server sends again when resuming from it. If the
 * connection drops or the server ends the subscription, iteration fails with
 * EventStoreUnavailable; subscribe again from the last position handled.
 */
class EventStoreDbSubscription implements Subscription {
  private closed = false;

  constructor(
    private readonly inner: AllStreamSubscription,
    private after: number,
    private readonly unavailable: (what: string, cause: unknown) => EventStoreUnavailable,
    private readonly onClose: () => void,
  ) {
    // The client emits connection failures as 'error' events; without a listener one would crash the
    // process. Destroying the stream with it makes iteration, now or later, end with that error.
    inner.on("error", (error: Error) => {
      if (!inner.destroyed) inner.destroy(error);
    });
  }

  async *[Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    try {
      for await (const resolved of this.inner as AsyncIterable<AllStreamResolvedEvent>) {
        if (this.closed) return;
        const event = fromAll(resolved);
        // Events come in position order; this drops the checkpoint event itself when resuming from it.
        if (!event || event.position <= this.after) continue;
        this.after = event.position;
        yield event;
      }
      if (!this.closed) throw this.unavailable("subscription to $all", new Error("the server ended the subscription"));
    } catch (error) {
      if (this.closed) return;
      if (error instanceof EventStoreUnavailable) throw error;
      throw this.unavailable("subscription to $all", error);
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
    const cancelled = this.inner.unsubscribe().catch(() => undefined);
    // Ends a pending `next()` now instead of leaving it waiting for an event that will not come.
    this.inner.destroy();
    await cancelled;
  }
}

/** The EventStoreDB/KurrentDB event store as an Effect layer; the client is disposed with the scope. */
export const layerEventStoreDbEventStore = (options: EventStoreDbEventStoreOptions) =>
  Layer.scoped(
    EventStore,
    Effect.acquireRelease(
      Effect.try({
        try: () => openEventStoreDbEventStore(options),
        catch: (cause) => new EventStoreUnavailable({ message: `cannot open EventStoreDB at ${redactUrl(options.url)}: ${describeCause(cause)}`, cause }),
      }),
      (store) => store.close(),
    ),
  );

export { redactUrl };
