import Database from "better-sqlite3";
import { Effect } from "effect";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { EventMetadata } from "../src/eventStore/eventStorePort.js";
import { openSqliteEventStore } from "../src/eventStore/sqliteEventStore.js";
import { periodicCheckpoints } from "../src/tamperEvidence/tamperEvidence.js";
import { runCliCaptured } from "./support/cliRun.js";

/** Issue 13, tamper evidence: `memledger audit verify | checkpoint | public-key`. */

const metadata: EventMetadata = { tenantId: "t1", actor: "tamper-cli-test", correlationId: "c1", recordedAt: "2026-03-01T09:00:00.000Z" };

async function writeLog(dataDir: string, events: number): Promise<void> {
  const store = openSqliteEventStore({ path: join(dataDir, "events.db"), durability: "normal", integrityCheck: false, afterCommit: periodicCheckpoints({ dataDir, every: 1_000 }) });
  for (let n = 0; n < events; n += 1) {
    await Effect.runPromise(store.append(`s-${n % 7}`, [{ eventId: `e-${n}`, type: "Noted", schemaVersion: 1, data: { n }, metadata }], "any" as never));
  }
  await Effect.runPromise(store.close());
}

const cli = (...args: string[]) => runCliCaptured(args);

describe("memledger audit verify", () => {
  let dataDir: string;
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it("exits 0 on an intact log and 1 naming the first tampered event; prints and checks a published checkpoint with the public key alone", async () => {
    dataDir = mkdtempSync(join(tmpdir(), "memledger-tamper-cli-"));
    await writeLog(dataDir, 2_500);

    const intact = await cli("audit", "verify", "--data-dir", dataDir);
    expect(intact.code).toBe(0);
    expect(intact.out).toContain("intact:");
    expect(intact.out).toContain("2 of 2 signed checkpoints verified");

    const key = await cli("audit", "public-key", "--data-dir", dataDir);
    expect(key.out).toContain("BEGIN PUBLIC KEY");
    const keyFile = join(dataDir, "published.pem");
    writeFileSync(keyFile, key.out);
    const signed = await cli("audit", "checkpoint", "--data-dir", dataDir, "--json");
    expect(JSON.parse(signed.out)).toMatchObject({ position: 2_500 });

    const db = new Database(join(dataDir, "events.db"));
    db.prepare("DELETE FROM events WHERE position = 1234").run();
    db.close();
    const tampered = await cli("audit", "verify", "--data-dir", dataDir, "--public-key", keyFile);
    expect(tampered.code).toBe(1);
    expect(tampered.out).toContain("first: [removed] log position 1234 is missing");
    expect(tampered.out).toContain("3 of 3 signed checkpoints verified");

    const json = await cli("audit", "verify", "--data-dir", dataDir, "--json");
    expect(JSON.parse(json.out).firstBad).toMatchObject({ kind: "removed", position: 1234 });
  });

  it("exits 2 without an event log", async () => {
    dataDir = mkdtempSync(join(tmpdir(), "memledger-tamper-cli-"));
    const missing = await cli("audit", "verify", "--data-dir", dataDir);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("no event log at");
  });
});
