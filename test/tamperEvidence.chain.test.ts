import Database from "better-sqlite3";
import { Effect } from "effect";
import { generateKeyPairSync } from "node:crypto";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { eventChecksum } from "../src/eventStore/eventChecksum.js";
import { genesisHash, nextChainHash, nextStreamHash } from "../src/eventStore/eventHashChain.js";
import type { EventMetadata, NewEvent } from "../src/eventStore/eventStorePort.js";
import { openSqliteEventStore } from "../src/eventStore/sqliteEventStore.js";
import type { StoredEventRow } from "../src/eventStore/sqliteLogFormat.js";
import { defaultCheckpointPaths, signCheckpoint } from "../src/tamperEvidence/signedCheckpoints.js";
import { checkpointNow, checkpointPublicKey, periodicCheckpoints, verifyTamperEvidence } from "../src/tamperEvidence/tamperEvidence.js";
import { flipByteInEventData } from "./support/damageLog.js";
import { tempLedger } from "./support/tempLedger.js";

/** Issue 13, tamper evidence: hash chains over the embedded log and signed checkpoints name the first event changed, removed, reordered or inserted. */

const metadata: EventMetadata = { tenantId: "t1", actor: "tamper-test", correlationId: "c1", recordedAt: "2026-03-01T09:00:00.000Z" };
const streams = 20;
const perStream = 10;
const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect);

/** 20 streams of 10 events, appended round robin (stream i, revision r at position 20r+i+1), a checkpoint every 50 events. */
async function writeLog(dataDir: string): Promise<void> {
  const store = openSqliteEventStore({
    path: join(dataDir, "events.db"),
    durability: "normal",
    integrityCheck: false,
    afterCommit: periodicCheckpoints({ dataDir, every: 50, now: () => new Date("2026-03-01T10:00:00.000Z") }),
  });
  for (let r = 0; r < perStream; r += 1) {
    for (let i = 0; i < streams; i += 1) {
      const event: NewEvent = { eventId: `e-${i}-${r}`, type: "Noted", schemaVersion: 1, data: { i, r, text: `note ${r} of stream ${i}` }, metadata };
      await run(store.append(`stream-${i}`, [event], r === 0 ? "no_stream" : r - 1));
    }
  }
  await run(store.close());
}

const positionOf = (stream: number, revision: number) => revision * streams + stream + 1;

/** Opens events.db directly, as an attacker with file access would, the ledger closed. */
function withLog<A>(dataDir: string, f: (db: Database.Database) => A): A {
  const db = new Database(join(dataDir, "events.db"));
  try {
    return f(db);
  } finally {
    db.close();
  }
}

const rowAt = (db: Database.Database, position: number) => db.prepare<[number], StoredEventRow>("SELECT * FROM events WHERE position = ?").get(position)!;
const checksumOf = (row: StoredEventRow) =>
  eventChecksum({ position: row.position, streamId: row.stream_id, revision: row.revision, eventId: row.event_id, type: row.type, schemaVersion: row.schema_version, data: row.data, metadata: row.metadata });
const previousStreamHash = (db: Database.Database, row: StoredEventRow) =>
  db.prepare<[string, number], { stream_hash: Buffer }>("SELECT stream_hash FROM events WHERE stream_id = ? AND revision < ? ORDER BY revision DESC LIMIT 1").get(row.stream_id, row.revision)?.stream_hash ?? genesisHash;

describe("tamper evidence: hash chains and signed checkpoints", () => {
  let dataDir: string;
  const setUp = async () => {
    dataDir = mkdtempSync(join(tmpdir(), "memledger-tamper-"));
    await writeLog(dataDir);
  };
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it("an intact log passes: every chain follows and every periodic checkpoint verifies against it", async () => {
    await setUp();
    const report = await verifyTamperEvidence({ dataDir });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.events).toBe(200);
    expect(report.checkpoints).toMatchObject({ found: 4, verified: 4, latestVerified: { position: 200 } });
    expect(statSync(defaultCheckpointPaths(dataDir).signingKeyFile).mode & 0o777).toBe(0o600);
  });

  it("a flipped byte in a row's data is named: stream, revision, position, changed", async () => {
    await setUp();
    flipByteInEventData(join(dataDir, "events.db"), "stream-3", 4);
    const report = await verifyTamperEvidence({ dataDir });
    expect(report.ok).toBe(false);
    expect(report.firstBad).toMatchObject({ kind: "changed", streamId: "stream-3", revision: 4, position: positionOf(3, 4) });
  });

  it("a deleted row is named by its position, and its stream's revision gap by the next event of the stream", async () => {
    await setUp();
    withLog(dataDir, (db) => db.prepare("DELETE FROM events WHERE position = ?").run(57));
    const report = await verifyTamperEvidence({ dataDir });
    expect(report.firstBad).toMatchObject({ kind: "removed", position: 57 });
    expect(report.firstBad!.message).toContain("position 57 is missing");
    // Position 57 is stream 16 revision 2: its revision 3 notices the gap.
    expect(report.problems).toContainEqual(expect.objectContaining({ kind: "removed", streamId: "stream-16", revision: 3 }));
  });

  it("two rows whose positions were swapped are found at the first of them, even with their checksums recomputed", async () => {
    await setUp();
    const swap = (recompute: boolean) =>
      withLog(dataDir, (db) =>
        db.transaction(() => {
          db.prepare("UPDATE events SET position = -1 WHERE position = 30").run();
          db.prepare("UPDATE events SET position = 30 WHERE position = 31").run();
          db.prepare("UPDATE events SET position = 31 WHERE position = -1").run();
          if (recompute) for (const p of [30, 31]) db.prepare("UPDATE events SET checksum = ? WHERE position = ?").run(checksumOf(rowAt(db, p)), p);
        })(),
      );
    swap(false);
    expect((await verifyTamperEvidence({ dataDir })).firstBad).toMatchObject({ kind: "changed", position: 30, streamId: "stream-10", revision: 1 });
    swap(false);
    expect((await verifyTamperEvidence({ dataDir })).ok).toBe(true);
    swap(true);
    const report = await verifyTamperEvidence({ dataDir });
    expect(report.firstBad).toMatchObject({ kind: "chain_broken", position: 30, streamId: "stream-10", revision: 1 });
  });

  it("a forged row inserted with a recomputed checksum is named, with or without hashes copied onto it", async () => {
    await setUp();
    const forge = (hashes: "none" | "copied") =>
      withLog(dataDir, (db) => {
        const last = rowAt(db, 200);
        const forged: StoredEventRow = { ...last, position: 201, revision: last.revision + 1, event_id: "forged", data: JSON.stringify({ text: "I never said this" }), checksum: null, stream_hash: null, chain_hash: null };
        const checksum = checksumOf(forged);
        db.prepare("DELETE FROM events WHERE position = 201").run();
        db.prepare("INSERT INTO events (position, stream_id, revision, event_id, type, schema_version, data, metadata, checksum, stream_hash, chain_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").run(
          201, forged.stream_id, forged.revision, forged.event_id, forged.type, forged.schema_version, forged.data, forged.metadata, checksum,
          hashes === "copied" ? last.stream_hash : null, hashes === "copied" ? last.chain_hash : null,
        );
      });
    forge("none");
    expect((await verifyTamperEvidence({ dataDir })).firstBad).toMatchObject({ kind: "unhashed", position: 201, streamId: "stream-19", revision: 10 });
    forge("copied");
    expect((await verifyTamperEvidence({ dataDir })).firstBad).toMatchObject({ kind: "chain_broken", position: 201, streamId: "stream-19", revision: 10 });
  });

  it("an event rewritten with its checksum and stream hash recomputed, but not the hashes after it, is named; so is its stream's next event", async () => {
    await setUp();
    const target = positionOf(5, 3);
    withLog(dataDir, (db) => {
      const row = rowAt(db, target);
      const rewritten = { ...row, data: JSON.stringify({ i: 5, r: 3, text: "a rewritten note" }) };
      const checksum = checksumOf(rewritten);
      const streamHash = nextStreamHash(previousStreamHash(db, row), checksum);
      db.prepare("UPDATE events SET data = ?, checksum = ?, stream_hash = ? WHERE position = ?").run(rewritten.data, checksum, streamHash, target);
    });
    const report = await verifyTamperEvidence({ dataDir });
    expect(report.firstBad).toMatchObject({ kind: "chain_broken", position: target, streamId: "stream-5", revision: 3 });
    expect(report.problems).toContainEqual(expect.objectContaining({ kind: "chain_broken", streamId: "stream-5", revision: 4 }));
  });

  it("history rewritten consistently from an event on (every checksum and hash recomputed) is caught only by the signed checkpoints", async () => {
    await setUp();
    const from = 120;
    withLog(dataDir, (db) =>
      db.transaction(() => {
        let chain = rowAt(db, from - 1).chain_hash!;
        for (let p = from; p <= 200; p += 1) {
          const row = rowAt(db, p);
          const data = p === from ? JSON.stringify({ text: "history as someone wished it" }) : row.data;
          const checksum = checksumOf({ ...row, data });
          const streamHash = nextStreamHash(previousStreamHash(db, row), checksum);
          chain = nextChainHash(chain, streamHash);
          db.prepare("UPDATE events SET data = ?, checksum = ?, stream_hash = ?, chain_hash = ? WHERE position = ?").run(data, checksum, streamHash, chain, p);
        }
      })(),
    );
    const report = await verifyTamperEvidence({ dataDir });
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => p.kind)).toEqual(["checkpoint", "checkpoint"]);
    expect(report.firstBad).toMatchObject({ kind: "checkpoint", position: 150 });
    expect(report.firstBad!.message).toContain("history up to log position 150 was rewritten");
    expect(report.checkpoints.latestVerified?.position).toBe(100);
  });

  it("events removed from the end are found by the position counter and by a checkpoint past the new end", async () => {
    await setUp();
    withLog(dataDir, (db) => db.prepare("DELETE FROM events WHERE position > 195").run());
    const report = await verifyTamperEvidence({ dataDir });
    expect(report.firstBad).toMatchObject({ kind: "truncated", position: 196 });
    expect(report.problems).toContainEqual(expect.objectContaining({ kind: "truncated", position: 200 }));
  });

  it("a forged checkpoint is found: one altered after signing, and one signed by another key", async () => {
    await setUp();
    const file = defaultCheckpointPaths(dataDir).file;
    const original = readFileSync(file, "utf8");
    const lines = original.trim().split("\n").map((l) => JSON.parse(l) as { chainHash: string; position: number });
    lines[1]!.chainHash = "00".repeat(32);
    writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`);
    let report = await verifyTamperEvidence({ dataDir });
    expect(report.firstBad).toMatchObject({ kind: "checkpoint", position: 100 });
    expect(report.firstBad!.message).toContain("the signature does not verify");

    writeFileSync(file, original);
    const withLogHead = withLog(dataDir, (db) => rowAt(db, 200).chain_hash!);
    const intruderKey = generateKeyPairSync("ed25519").privateKey;
    appendFileSync(file, `${JSON.stringify(signCheckpoint(intruderKey, { position: 200, chainHash: withLogHead }, new Date()))}\n`);
    report = await verifyTamperEvidence({ dataDir });
    expect(report.firstBad).toMatchObject({ kind: "checkpoint", position: 200 });
    expect(report.checkpoints).toMatchObject({ found: 5, verified: 4 });
  });

  it("an outsider checks a published checkpoint with the published public key, without the signing key", async () => {
    await setUp();
    const publicKey = checkpointPublicKey({ dataDir });
    expect(publicKey).toContain("BEGIN PUBLIC KEY");
    const published = checkpointNow({ dataDir }, new Date("2026-03-02T00:00:00.000Z"));
    expect(published.position).toBe(200);
    rmSync(defaultCheckpointPaths(dataDir).signingKeyFile);
    expect((await verifyTamperEvidence({ dataDir })).checkpoints.skipped).toContain("no public key");
    const report = await verifyTamperEvidence({ dataDir }, { publicKeyPem: publicKey });
    expect(report.ok).toBe(true);
    expect(report.checkpoints).toMatchObject({ found: 5, verified: 5, latestVerified: { position: 200, signedAt: "2026-03-02T00:00:00.000Z" } });
  });

  it("a log written before hash chains is chained at open, resuming where a cut-short migration stopped, with the hashes appends would have written", async () => {
    await setUp();
    const hashesBefore = withLog(dataDir, (db) => db.prepare("SELECT stream_hash, chain_hash FROM events ORDER BY position").all());
    // As a format-1 log, the second half cut short mid-migration: the first 80 rows chained, the rest not.
    withLog(dataDir, (db) => {
      db.prepare("UPDATE events SET stream_hash = NULL, chain_hash = NULL WHERE position > 80").run();
      db.pragma("user_version = 1");
    });
    // Unchained rows are counted, not damage; but rows a signed checkpoint vouches for cannot pass as never chained.
    const unmigrated = await verifyTamperEvidence({ dataDir });
    expect(unmigrated.unchained).toBe(120);
    expect(unmigrated.problems.map((p) => [p.kind, p.position])).toEqual([["checkpoint", 100], ["checkpoint", 150], ["checkpoint", 200]]);
    await run(openSqliteEventStore({ path: join(dataDir, "events.db"), integrityCheck: false }).close());
    withLog(dataDir, (db) => {
      expect(db.pragma("user_version", { simple: true })).toBe(2);
      expect(db.prepare("SELECT stream_hash, chain_hash FROM events ORDER BY position").all()).toEqual(hashesBefore);
    });
    expect(await verifyTamperEvidence({ dataDir })).toMatchObject({ ok: true, unchained: 0, checkpoints: { verified: 4 } });
  });
});

describe("tamper evidence and erasure", () => {
  it("erasing a subject (crypto-shredding destroys keys, never rewrites events) leaves the chains verifiable", async () => {
    const { ledger, dataDir, dispose } = await tempLedger();
    try {
      await ledger.cubes.create({ cubeId: "c", name: "c", owner: { kind: "user", id: "dan" } });
      await ledger.memories.create({ cubeId: "c", text: "dan-a", userId: "dan" });
      await ledger.memories.create({ cubeId: "c", text: "erin-b", userId: "erin" });
      const signedBefore = (await ledger.close(), checkpointNow({ dataDir }));
      const reopened = await tempLedger({ dataDir });
      await reopened.ledger.subjects.erase("dan", { tenantId: "default", actor: "dpo:eve", reason: "GDPR art. 17" });
      await reopened.ledger.close();
      const report = await verifyTamperEvidence({ dataDir });
      expect(report.problems).toEqual([]);
      expect(report.checkpoints.latestVerified?.position).toBe(signedBefore.position);
      expect(report.head.position).toBeGreaterThan(signedBefore.position);
    } finally {
      await dispose().catch(() => undefined);
    }
  });
});
