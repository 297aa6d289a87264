import { StreamNotFoundError, WrongExpectedVersionError, type EventStoreDBClient } from "@eventstore/db-client";
import type { AllLogReader, LoggedEvent } from "../../src/tamperEvidence/allLogReader.js";

/**
 * An in-memory stand-in for the few EventStoreDB client calls the adapter and the tamper walk make
 * (appendToStream, readStream, readAll, dispose), with the server's expected-revision rules and JSON
 * round trip. `records` is `$all`, open to tests that tamper with it the way someone with disk access would.
 */

export interface FakeRecord {
  streamId: string;
  revision: bigint;
  id: string;
  type: string;
  data: unknown;
  metadata: unknown;
  position: { commit: bigint; prepare: bigint };
}

type Direction = "forwards" | "backwards";

export class FakeEventStoreDbClient {
  readonly records: FakeRecord[] = [];
  private nextCommit = 100n;
  appends = 0;
  /** Runs before each append is applied (a test's concurrent writer); once per call. */
  beforeAppend: ((streamId: string) => Promise<void> | void) | undefined;

  asClient(): EventStoreDBClient {
    return this as unknown as EventStoreDBClient;
  }

  reader(): AllLogReader {
    return {
      readAll: async function* (this: FakeEventStoreDbClient, after?: { commit: bigint; prepare: bigint }) {
        for (const r of [...this.records]) {
          if (after && r.position.commit <= after.commit) continue;
          const logged: LoggedEvent = { streamId: r.streamId, revision: r.revision, eventId: r.id, type: r.type, data: r.data, metadata: r.metadata, position: r.position };
          yield logged;
        }
      }.bind(this),
      headPosition: async () => this.records[this.records.length - 1]?.position,
    };
  }

  /** Records by stream, as appended; a test that cut records out of `records` is read by scanning instead. */
  private readonly byStream = new Map<string, FakeRecord[]>();
  private indexed = 0;

  private streamRecords(streamId: string): FakeRecord[] {
    if (this.indexed === this.records.length) return this.byStream.get(streamId) ?? [];
    return this.records.filter((r) => r.streamId === streamId && !r.type.startsWith("$"));
  }

  /** Stores one record as the server would, at the next position (also for tests writing "raw" events). */
  store(streamId: string, record: { id: string; type: string; data: unknown; metadata?: unknown; revision?: bigint }): FakeRecord {
    const current = this.streamRecords(streamId);
    const stored: FakeRecord = {
      streamId,
      revision: record.revision ?? (current.length > 0 ? current[current.length - 1]!.revision + 1n : 0n),
      id: record.id,
      type: record.type,
      // The client sends JSON and parses it back on read.
      data: JSON.parse(JSON.stringify(record.data ?? null)),
      metadata: record.metadata === undefined ? undefined : JSON.parse(JSON.stringify(record.metadata)),
      position: { commit: this.nextCommit, prepare: this.nextCommit },
    };
    this.nextCommit += 100n;
    if (this.indexed === this.records.length) {
      if (!stored.type.startsWith("$")) {
        const stream = this.byStream.get(streamId) ?? [];
        stream.push(stored);
        this.byStream.set(streamId, stream);
      }
      this.indexed += 1;
    }
    this.records.push(stored);
    return stored;
  }

  async appendToStream(streamId: string, events: readonly { id: string; type: string; data: unknown; metadata?: unknown }[], options: { expectedRevision?: unknown } = {}) {
    this.appends += 1;
    const hook = this.beforeAppend;
    this.beforeAppend = undefined;
    await hook?.(streamId);
    const current = this.streamRecords(streamId);
    const currentRevision = current.length > 0 ? current[current.length - 1]!.revision : undefined;
    const expected = options.expectedRevision ?? "any";
    const fits =
      expected === "any" || (expected === "no_stream" && currentRevision === undefined) || (expected === "stream_exists" && currentRevision !== undefined) || (typeof expected === "bigint" && currentRevision === expected);
    if (!fits) throw new WrongExpectedVersionError(undefined, { streamName: streamId, current: currentRevision ?? "no_stream", expected } as never);
    let last: FakeRecord | undefined;
    for (const event of events) last = this.store(streamId, event);
    return { success: true, nextExpectedRevision: last!.revision, position: last!.position };
  }

  readStream(streamId: string, options: { direction?: Direction; fromRevision?: bigint | "start" | "end"; maxCount?: number | bigint } = {}) {
    const records = this.streamRecords(streamId);
    const backwards = options.direction === "backwards";
    const max = Number(options.maxCount ?? Number.MAX_SAFE_INTEGER);
    const from = options.fromRevision ?? (backwards ? "end" : "start");
    const picked = (backwards ? [...records].reverse() : records)
      .filter((r) => (from === "start" || from === "end" ? true : backwards ? r.revision <= from : r.revision >= from))
      .slice(0, max);
    return (async function* () {
      if (records.length === 0) throw new StreamNotFoundError(undefined, streamId);
      for (const r of picked) yield { event: { ...r } };
    })();
  }

  readAll(options: { direction?: Direction; fromPosition?: { commit: bigint; prepare: bigint } | "start" | "end"; maxCount?: number | bigint } = {}) {
    const backwards = options.direction === "backwards";
    const max = Number(options.maxCount ?? Number.MAX_SAFE_INTEGER);
    const from = options.fromPosition ?? (backwards ? "end" : "start");
    const ordered = backwards ? [...this.records].reverse() : this.records;
    const picked = ordered.filter((r) => (typeof from === "string" ? true : backwards ? r.position.commit < from.commit : r.position.commit >= from.commit)).slice(0, max);
    return (async function* () {
      for (const r of picked) yield { event: { ...r } };
    })();
  }

  async dispose(): Promise<void> {}
}
