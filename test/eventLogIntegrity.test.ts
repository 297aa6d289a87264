import Database from "better-sqlite3";
import { Effect, Either } from "effect";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { EventMetadata, EventStorePort, NewEvent } from "../src/eventStore/eventStorePort.js";
import { runLogVerifyCommand } from "../src/cli/logVerifyCommand.js";
import { classifySqliteFailure } from "../src/eventStore/sqliteFailure.js";
import { openCheckedSqliteEventStore, openSqliteEventStore } from "../src/eventStore/sqliteEventStore.js";
import { eventLeafPages, flipByteInEventData, overwritePage } from "./support/damageLog.js";

/** Hardening #3: damage to the embedded event log is found (at open, and on read by per-event checksums) and stops writes. */

const metadata: EventMetadata = { tenantId: "t1", actor: "integrity-test", correlationId: "c1", recordedAt: "2026-03-01T09:00:00.000Z" };
const event = (stream: number, n: number): NewEvent => ({
  eventId: `e-${stream}-${n}`,
  type: "Noted",
  schemaVersion: 1,
  data: { stream, n, text: `note ${n} of stream ${stream}: ${"lorem ipsum dolor sit amet ".repeat(8)}` },
  metadata,
});
const streamName = (i: number) => `stream-${i}`;
const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect);
const failureOf = async <A, E>(effect: Effect.Effect<A, E>) => {
  const result = await Effect.runPromise(Effect.either(effect));
  if (Either.isRight(result)) throw new Error("expected a failure, got a success");
  return result.left as E & { _tag: string; message: string } & Record<string, unknown>;
};

/** 150 streams of 10 events, written stream after stream: stream i holds positions 10i+1 .. 10i+10. */
async function writeLog(file: string): Promise<void> {
  const store = openSqliteEventStore({ path: file, durability: "normal", integrityCheck: false });
  for (let i = 0; i < 150; i += 1) await run(store.append(streamName(i), Array.from({ length: 10 }, (_, n) => event(i, n)), "no_stream"));
  await run(store.close());
}

describe("hardening #3: the embedded event log notices damage", () => {
  let dir: string;
  let file: string;
  const opened: EventStorePort[] = [];
  const setUp = async () => {
    dir = mkdtempSync(join(tmpdir(), "memledger-integrity-"));
    file = join(dir, "events.db");
    await writeLog(file);
  };
  afterEach(async () => {
    for (const store of opened.splice(0)) await run(store.close());
    rmSync(dir, { recursive: true, force: true });
  });

  it("hardening #3: a page overwritten mid-file is found at open; writes are refused with EventLogDamaged naming the file and position; streams elsewhere still read", async () => {
    await setUp();
    const leaves = eventLeafPages(file);
    const damaged = leaves[Math.floor(leaves.length / 2)]!;
    overwritePage(file, damaged.page);

    const store = await openCheckedSqliteEventStore({ path: file, integrityBudgetMs: 20_000 });
    opened.push(store);
    expect((await store.integrity)?.kind).toBe("damaged");

    const refused = await failureOf(store.append("stream-new", [event(999, 0)], "no_stream"));
    expect(refused._tag).toBe("EventLogDamaged");
    expect(refused.file).toBe(file);
    expect(refused.position).toBe(damaged.firstPosition);
    expect(refused.message).toContain(file);
    expect(refused.message).toContain(`log position ${damaged.firstPosition}`);
    expect(refused.message).toContain("memledger log verify");
    expect(refused.message).toMatch(/restore .* from a backup/);
    expect((await failureOf(store.health()))._tag).toBe("EventLogDamaged");

    // A stream stored wholly before the damaged page still reads; one on it fails typed, not as a defect.
    const before = Math.floor((damaged.firstPosition - 1) / 10) - 1;
    expect((await run(store.readStream(streamName(before)))).map((e) => e.revision)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const onIt = Math.floor((damaged.firstPosition + 1) / 10);
    const unreadable = await failureOf(store.readStream(streamName(onIt)));
    expect(unreadable._tag).toBe("EventLogDamaged");
    expect(unreadable.streamId).toBe(streamName(onIt));
  });

  it("hardening #3: a flipped byte in one event's data fails the read of that stream naming stream and revision, and stops writes", async () => {
    await setUp();
    const { before, after } = flipByteInEventData(file, "stream-3", 4);
    expect(after).not.toBe(before);
    expect(() => JSON.parse(after)).not.toThrow();

    const store = await openCheckedSqliteEventStore({ path: file, integrityBudgetMs: 20_000 });
    opened.push(store);
    // The file's structure is sound: only the checksum can tell.
    expect((await store.integrity)?.kind).toBe("intact");
    expect((await run(store.append("stream-new", [event(998, 0)], "no_stream"))).alreadyApplied).toBe(false);
    expect(await run(store.readStream("stream-2"))).toHaveLength(10);

    const failure = await failureOf(store.readStream("stream-3"));
    expect(failure).toMatchObject({ _tag: "EventLogDamaged", streamId: "stream-3", revision: 4, position: 35 });
    expect(failure.message).toContain("stream stream-3 revision 4");
    expect(failure.message).toContain("checksum mismatch");
    expect((await failureOf(store.readAll({ after: 30, maxCount: 10 })))._tag).toBe("EventLogDamaged");
    expect((await failureOf(store.append("stream-new", [event(998, 1)], 0)))._tag).toBe("EventLogDamaged");
    expect((await failureOf(store.health())).message).toContain("stream stream-3 revision 4");
  });

  it("hardening #3: damage found by a read is remembered across a restart (events.db.damaged) until log verify finds the restored log intact", async () => {
    await setUp();
    copyFileSync(file, `${file}.backup`);
    flipByteInEventData(file, "stream-7", 2);
    const store = openSqliteEventStore({ path: file, integrityCheck: false });
    expect((await failureOf(store.readStream("stream-7")))._tag).toBe("EventLogDamaged");
    await run(store.close());

    // A restart: no read of stream-7 yet, the structure is sound, and still writes are refused, saying why.
    const restarted = await openCheckedSqliteEventStore({ path: file });
    opened.push(restarted);
    const refused = await failureOf(restarted.append("stream-new", [event(996, 0)], "no_stream"));
    expect(refused).toMatchObject({ _tag: "EventLogDamaged", streamId: "stream-7", revision: 2 });
    expect(refused.message).toContain(`${file}.damaged`);
    await run(restarted.close());
    opened.pop();

    const io = { out: () => {}, err: () => {} };
    expect(runLogVerifyCommand({ dataDir: dir, json: false }, io)).toBe(1);
    copyFileSync(`${file}.backup`, file);
    expect(runLogVerifyCommand({ dataDir: dir, json: false }, io)).toBe(0);
    expect(existsSync(`${file}.damaged`)).toBe(false);
    const restored = await openCheckedSqliteEventStore({ path: file });
    opened.push(restored);
    expect((await run(restored.append("stream-new", [event(996, 0)], "no_stream"))).alreadyApplied).toBe(false);
  });

  it("hardening #3: each stored checksum is format byte 0x01 + SHA-256 of the length-prefixed stored fields, as docs/event-catalog.md specifies", async () => {
    await setUp();
    const db = new Database(file, { readonly: true });
    const rows = db.prepare("SELECT * FROM events WHERE position IN (1, 57, 1500)").all() as Record<string, string | number | Buffer>[];
    db.close();
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      const fields = ["position", "stream_id", "revision", "event_id", "type", "schema_version", "data", "metadata"].map((name) => String(row[name]));
      const hashed = createHash("sha256");
      for (const field of fields) hashed.update(`${Buffer.byteLength(field)}:${field}`, "utf8");
      expect((row.checksum as Buffer).toString("hex")).toBe(`01${hashed.digest("hex")}`);
    }
  });

  it("hardening #3: a log written before checksums opens, gets a checksum on every row, and then catches a flipped byte", async () => {
    dir = mkdtempSync(join(tmpdir(), "memledger-integrity-"));
    file = join(dir, "events.db");
    writeLegacyLog(file, 40);

    const store = openSqliteEventStore({ path: file, integrityCheck: false });
    opened.push(store);
    expect((await run(store.readStream("legacy-1"))).map((e) => (e.data as { n: number }).n)).toEqual([0, 1, 2, 3]);
    const appended = await run(store.append("legacy-1", [event(1, 4)], 3));
    expect(appended.position).toBe(41);
    await run(store.close());
    opened.pop();

    const db = new Database(file, { readonly: true });
    expect(db.prepare("SELECT COUNT(*) FROM events WHERE checksum IS NULL").pluck().get()).toBe(0);
    expect(db.pragma("user_version", { simple: true })).toBe(2);
    db.close();

    flipByteInEventData(file, "legacy-2", 1);
    const reopened = openSqliteEventStore({ path: file, integrityCheck: false });
    opened.push(reopened);
    expect(await failureOf(reopened.readStream("legacy-2"))).toMatchObject({ _tag: "EventLogDamaged", streamId: "legacy-2", revision: 1 });
  });

  it("hardening #3: a pre-checksum log whose migration meets a damaged page opens refusing writes; its intact streams still read, unchecked", async () => {
    dir = mkdtempSync(join(tmpdir(), "memledger-integrity-"));
    file = join(dir, "events.db");
    writeLegacyLog(file, 1_500, (i) => ({ stream: `legacy-${Math.floor(i / 10)}`, revision: i % 10 }));
    const leaves = eventLeafPages(file);
    const damaged = leaves[Math.floor(leaves.length / 2)]!;
    overwritePage(file, damaged.page);

    const store = openSqliteEventStore({ path: file, integrityCheck: false });
    opened.push(store);
    expect(store.damage()?.finding).toContain("does not read back");
    const refused = await failureOf(store.append("legacy-new", [event(995, 0)], "no_stream"));
    expect(refused._tag).toBe("EventLogDamaged");
    expect(refused.message).toContain("while the checksums of events stored before checksums existed were being written");
    expect(await run(store.readStream("legacy-0"))).toHaveLength(10);
    expect((await failureOf(store.readStream(`legacy-${Math.floor((damaged.firstPosition + 1) / 10)}`)))._tag).toBe("EventLogDamaged");
  });

  it("hardening #3: storage errors of the log come back typed (503s): a lock held past the busy timeout, a full disk, an I/O error, a damaged index", async () => {
    await setUp();
    const store = openSqliteEventStore({ path: file, integrityCheck: false, busyTimeoutMs: 50 });
    opened.push(store);
    const other = new Database(file);
    other.exec("BEGIN IMMEDIATE");
    try {
      const busy = await failureOf(store.append("stream-busy", [event(997, 0)], "no_stream"));
      expect(busy).toMatchObject({ _tag: "EventStoreUnavailable", code: "SQLITE_BUSY" });
      expect(busy.message).toContain(file);
      expect(busy.message).toContain("retry");
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    expect((await run(store.append("stream-busy", [event(997, 0)], "no_stream"))).alreadyApplied).toBe(false);

    const context = { file, operation: "read stream s", streamId: "s" };
    const engineError = (code: string) => Object.assign(new Error(code.toLowerCase()), { code });
    expect(classifySqliteFailure(engineError("SQLITE_FULL"), context)).toMatchObject({ _tag: "EventStoreUnavailable", code: "SQLITE_FULL", message: expect.stringContaining("disk holding the log is full") });
    expect(classifySqliteFailure(engineError("SQLITE_IOERR_SHORT_READ"), context)).toMatchObject({ _tag: "EventStoreUnavailable", code: "SQLITE_IOERR_SHORT_READ" });
    expect(classifySqliteFailure(engineError("SQLITE_CORRUPT_INDEX"), context)).toMatchObject({ _tag: "EventLogDamaged", streamId: "s", file });
    expect(classifySqliteFailure(engineError("SQLITE_NOTADB"), context)).toMatchObject({ _tag: "EventLogDamaged", file });
  });

  it("hardening #3: a file whose header is destroyed opens as a store that refuses everything with the reason", async () => {
    await setUp();
    overwritePage(file, 1);
    const store = await openCheckedSqliteEventStore({ path: file });
    opened.push(store);
    const failure = await failureOf(store.readStream("stream-1"));
    expect(failure._tag).toBe("EventLogDamaged");
    expect(failure.message).toContain(file);
    expect((await failureOf(store.append("stream-1", [event(1, 10)], 9)))._tag).toBe("EventLogDamaged");
    expect((await failureOf(store.health()))._tag).toBe("EventLogDamaged");

    let said = "";
    expect(runLogVerifyCommand({ dataDir: dir, json: false }, { out: (s) => (said += s), err: () => {} })).toBe(1);
    expect(said).toContain(`DAMAGED: ${file}`);
    expect(said).toContain("SQLITE_NOTADB");
  });
});

/** The table as memledger wrote it before checksums existed, filled the way that version's append did. */
function writeLegacyLog(file: string, events: number, placeOf = (i: number) => ({ stream: `legacy-${i % 10}`, revision: Math.floor(i / 10) })): void {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.exec(`
    CREATE TABLE events (
      position       INTEGER PRIMARY KEY AUTOINCREMENT,
      stream_id      TEXT    NOT NULL,
      revision       INTEGER NOT NULL,
      event_id       TEXT    NOT NULL UNIQUE,
      type           TEXT    NOT NULL,
      schema_version INTEGER NOT NULL,
      data           TEXT    NOT NULL,
      metadata       TEXT    NOT NULL,
      UNIQUE (stream_id, revision)
    );`);
  const insert = db.prepare("INSERT INTO events (stream_id, revision, event_id, type, schema_version, data, metadata) VALUES (?, ?, ?, ?, ?, ?, ?)");
  for (let i = 0; i < events; i += 1) {
    const { stream, revision } = placeOf(i);
    insert.run(stream, revision, `legacy-e-${i}`, "Noted", 1, JSON.stringify({ n: revision, text: "a note kept before checksums existed ".repeat(6) }), JSON.stringify(metadata));
  }
  db.close();
}
