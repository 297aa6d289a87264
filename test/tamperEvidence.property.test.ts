import Database from "better-sqlite3";
import { Effect } from "effect";
import fc from "fast-check";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { eventChecksum } from "../src/eventStore/eventChecksum.js";
import { genesisHash, nextChainHash, nextStreamHash } from "../src/eventStore/eventHashChain.js";
import type { EventMetadata } from "../src/eventStore/eventStorePort.js";
import { openSqliteEventStore } from "../src/eventStore/sqliteEventStore.js";
import type { StoredEventRow } from "../src/eventStore/sqliteLogFormat.js";
import { checkpointNow, verifyTamperEvidence } from "../src/tamperEvidence/tamperEvidence.js";

/** Issue 13, tamper evidence, as a property: whatever single tampering is done to a log, verification names the position it was done at. */

const metadata: EventMetadata = { tenantId: "t1", actor: "tamper-property", correlationId: "c1", recordedAt: "2026-03-01T09:00:00.000Z" };

type Tampering =
  | { kind: "flip"; at: number }
  | { kind: "delete"; at: number }
  | { kind: "rewriteChecksum"; at: number }
  | { kind: "rewriteChecksumAndStreamHash"; at: number }
  | { kind: "swapRecomputed"; at: number; other: number }
  | { kind: "rewriteEverythingAfter"; at: number }
  | { kind: "appendForged" };

const checksumOf = (row: StoredEventRow) =>
  eventChecksum({ position: row.position, streamId: row.stream_id, revision: row.revision, eventId: row.event_id, type: row.type, schemaVersion: row.schema_version, data: row.data, metadata: row.metadata });

function tamper(db: Database.Database, t: Tampering, head: number): number {
  const rowAt = (p: number) => db.prepare<[number], StoredEventRow>("SELECT * FROM events WHERE position = ?").get(p)!;
  const streamHashBefore = (row: StoredEventRow) =>
    db.prepare<[string, number], { stream_hash: Buffer }>("SELECT stream_hash FROM events WHERE stream_id = ? AND revision < ? ORDER BY revision DESC LIMIT 1").get(row.stream_id, row.revision)?.stream_hash ?? genesisHash;
  const forgedData = JSON.stringify({ text: "forged" });
  switch (t.kind) {
    case "flip":
      db.prepare("UPDATE events SET data = ? WHERE position = ?").run(forgedData, t.at);
      return t.at;
    case "delete":
      db.prepare("DELETE FROM events WHERE position = ?").run(t.at);
      return t.at;
    case "rewriteChecksum":
      db.prepare("UPDATE events SET data = ?, checksum = ? WHERE position = ?").run(forgedData, checksumOf({ ...rowAt(t.at), data: forgedData }), t.at);
      return t.at;
    case "rewriteChecksumAndStreamHash": {
      const row = rowAt(t.at);
      const checksum = checksumOf({ ...row, data: forgedData });
      db.prepare("UPDATE events SET data = ?, checksum = ?, stream_hash = ? WHERE position = ?").run(forgedData, checksum, nextStreamHash(streamHashBefore(row), checksum), t.at);
      return t.at;
    }
    case "swapRecomputed": {
      const [p, q] = [Math.min(t.at, t.other), Math.max(t.at, t.other)];
      db.prepare("UPDATE events SET position = -1 WHERE position = ?").run(p);
      db.prepare("UPDATE events SET position = ? WHERE position = ?").run(p, q);
      db.prepare("UPDATE events SET position = ? WHERE position = -1").run(q);
      for (const x of [p, q]) db.prepare("UPDATE events SET checksum = ? WHERE position = ?").run(checksumOf(rowAt(x)), x);
      return p;
    }
    case "rewriteEverythingAfter": {
      // Consistent from `at` on: only the signed checkpoint at the head can tell.
      let chain = t.at === 1 ? genesisHash : rowAt(t.at - 1).chain_hash!;
      for (let p = t.at; p <= head; p += 1) {
        const row = rowAt(p);
        const data = p === t.at ? forgedData : row.data;
        const checksum = checksumOf({ ...row, data });
        const streamHash = nextStreamHash(streamHashBefore(row), checksum);
        chain = nextChainHash(chain, streamHash);
        db.prepare("UPDATE events SET data = ?, checksum = ?, stream_hash = ?, chain_hash = ? WHERE position = ?").run(data, checksum, streamHash, chain, p);
      }
      return head;
    }
    case "appendForged": {
      const last = rowAt(head);
      const forged = { ...last, position: head + 1, revision: last.revision + 1, event_id: "forged", data: forgedData };
      db.prepare("INSERT INTO events (position, stream_id, revision, event_id, type, schema_version, data, metadata, checksum, stream_hash, chain_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").run(
        forged.position, forged.stream_id, forged.revision, forged.event_id, forged.type, forged.schema_version, forged.data, forged.metadata, checksumOf(forged), last.stream_hash, last.chain_hash,
      );
      return head + 1;
    }
  }
}

const scenario = fc
  .record({ streamOf: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 4, maxLength: 24 }) })
  .chain(({ streamOf }) => {
    const n = streamOf.length;
    const position = fc.integer({ min: 1, max: n });
    return fc.record({
      streamOf: fc.constant(streamOf),
      tampering: fc.oneof(
        position.map((at): Tampering => ({ kind: "flip", at })),
        position.map((at): Tampering => ({ kind: "delete", at })),
        position.map((at): Tampering => ({ kind: "rewriteChecksum", at })),
        position.map((at): Tampering => ({ kind: "rewriteChecksumAndStreamHash", at })),
        fc.tuple(position, position).filter(([a, b]) => a !== b).map(([at, other]): Tampering => ({ kind: "swapRecomputed", at, other })),
        position.map((at): Tampering => ({ kind: "rewriteEverythingAfter", at })),
        fc.constant<Tampering>({ kind: "appendForged" }),
      ),
    });
  });

describe("tamper evidence, as a property", () => {
  it("an intact log verifies; after any one tampering, the first problem named is at the position tampered with", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ streamOf, tampering }) => {
        const dataDir = mkdtempSync(join(tmpdir(), "memledger-tamper-prop-"));
        try {
          const store = openSqliteEventStore({ path: join(dataDir, "events.db"), durability: "normal", integrityCheck: false });
          const next = new Map<number, number>();
          for (const [i, s] of streamOf.entries()) {
            const revision = next.get(s) ?? 0;
            next.set(s, revision + 1);
            await Effect.runPromise(store.append(`stream-${s}`, [{ eventId: `e-${i}`, type: "Noted", schemaVersion: 1, data: { i, text: `note ${i}` }, metadata }], revision === 0 ? "no_stream" : revision - 1));
          }
          await Effect.runPromise(store.close());
          checkpointNow({ dataDir });
          expect((await verifyTamperEvidence({ dataDir })).ok).toBe(true);

          const db = new Database(join(dataDir, "events.db"));
          const expected = db.transaction(() => tamper(db, tampering, streamOf.length))();
          db.close();
          const report = await verifyTamperEvidence({ dataDir });
          expect(report.ok).toBe(false);
          expect(report.firstBad?.position).toBe(expected);
        } finally {
          rmSync(dataDir, { recursive: true, force: true });
        }
      }),
      { numRuns: 60 },
    );
  }, 60_000);
});
