import Database from "better-sqlite3";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openMemLedger, type MemLedger } from "../src/app/memLedger.js";
import { backupDataDir } from "../src/backup/backupDataDir.js";
import { readManifest } from "../src/backup/backupManifest.js";
import { restoreBackup, restoreRecordFile, RestoreRefused } from "../src/backup/restoreBackup.js";
import { verifyBackup } from "../src/backup/verifyBackup.js";

/** Backup under write load, restore into new directories, equality, and erasures recorded after the backup. */

const root = mkdtempSync(join(tmpdir(), "memledger-backup-"));
const live = join(root, "live");
const backup = join(root, "backup");
let ledger: MemLedger;
const ctx = { tenantId: "default", actor: "test:backup" };
const before: { memoryId: string; text: string }[] = [];
let writtenDuringBackup = 0;
let waitingJobId: string;

type Row = Record<string, unknown>;
function rows(file: string, sql: string): Row[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all() as Row[];
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  ledger = await openMemLedger({ dataDir: live, worker: false });
  await ledger.cubes.create({ cubeId: "notes", name: "Notes", owner: { kind: "project", id: "p" } }, ctx);
  for (let i = 0; i < 40; i++) {
    const userId = i % 4 === 0 ? "bob" : "alice";
    const text = `${userId} note ${i}: ${"lorem ipsum ".repeat(20)}`;
    const unit = await ledger.memories.create({ cubeId: "notes", text, userId }, ctx);
    before.push({ memoryId: unit.memoryId, text });
  }
  // A job that waits (no worker in this process): the job queue has something to back up.
  const added = await ledger.memories.add("notes", { mode: "async", memories: [{ text: "queued for later", userId: "alice" }] }, ctx);
  if (added.mode !== "async") throw new Error("expected an async add");
  waitingJobId = added.job.jobId;

  // The writer appends for the whole backup; the backup must neither stop it nor copy a half-written state.
  let writing = true;
  const writer = (async () => {
    while (writing) {
      await ledger.memories.create({ cubeId: "notes", text: `written during the backup ${writtenDuringBackup}`, userId: "alice" }, ctx);
      writtenDuringBackup += 1;
    }
  })();
  try {
    await backupDataDir({ dataDir: live, target: backup });
  } finally {
    writing = false;
    await writer;
  }
}, 60_000);

afterAll(async () => {
  await ledger.close();
  rmSync(root, { recursive: true, force: true });
});

describe("memledger backup", () => {
  it("writes a manifest with sizes, hashes and the log position, and leaves admin.key and the read models out", () => {
    const manifest = readManifest(backup);
    expect(writtenDuringBackup).toBeGreaterThan(0);
    expect(manifest.files.map((f) => f.path)).toEqual(expect.arrayContaining(["events.db", "keys/keys.db", "jobs.db"]));
    expect(manifest.files.some((f) => f.path.startsWith("readmodels/"))).toBe(false);
    for (const f of manifest.files) expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
    const liveHead = rows(join(live, "events.db"), "SELECT max(position) AS p FROM events")[0]!.p as number;
    expect(manifest.log.position).toBeGreaterThan(0);
    expect(manifest.log.position).toBeLessThanOrEqual(liveHead);
  });

  it("verifies: hashes, integrity_check and the log's hash chains", async () => {
    const report = await verifyBackup(backup);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.tamper?.ok).toBe(true);
    expect(report.tamper?.events).toBe(readManifest(backup).log.events);
  });

  it("restores every event, key and job of the backup into a new directory, and the restored ledger reads them", async () => {
    const target = join(root, "restored");
    const report = await restoreBackup({ backup, target, replayErasuresFrom: live });
    expect(report.warnings).toEqual([]);
    const head = readManifest(backup).log.position;
    const eventSql = `SELECT position, stream_id, revision, event_id, type, schema_version, data, metadata, hex(checksum) AS checksum FROM events WHERE position <= ${head} ORDER BY position`;
    const restoredEvents = rows(join(target, "events.db"), eventSql);
    expect(restoredEvents.length).toBe(readManifest(backup).log.events);
    expect(restoredEvents).toEqual(rows(join(live, "events.db"), eventSql));
    expect(rows(join(target, "events.db"), "SELECT count(*) AS n FROM events")[0]!.n).toBe(restoredEvents.length);

    // Every key the restored log uses is there, with the live material.
    const liveKeys = new Map(rows(join(live, "keys/keys.db"), "SELECT key_id, hex(material) AS m FROM data_keys").map((r) => [r.key_id, r.m]));
    const restoredKeys = rows(join(target, "keys/keys.db"), "SELECT key_id, hex(material) AS m FROM data_keys");
    for (const k of restoredKeys) expect(liveKeys.get(k.key_id)).toBe(k.m);
    const usedKeys = new Set(restoredEvents.map((e) => (JSON.parse(String(e.metadata)) as { keyId?: string }).keyId).filter((k) => k !== undefined));
    expect(usedKeys.size).toBeGreaterThanOrEqual(before.length);
    const restoredKeyIds = new Set(restoredKeys.map((k) => k.key_id));
    for (const keyId of usedKeys) expect(restoredKeyIds.has(keyId)).toBe(true);

    // Every job, as it stood.
    const jobSql = "SELECT * FROM jobs ORDER BY rowid";
    expect(rows(join(target, "jobs.db"), jobSql)).toEqual(rows(join(live, "jobs.db"), jobSql));
    expect(rows(join(target, "jobs.db"), "SELECT count(*) AS n FROM jobs")[0]!.n).toBeGreaterThan(0);

    const restored = await openMemLedger({ dataDir: target, worker: false });
    try {
      for (const { memoryId, text } of before) expect((await restored.memories.get(memoryId)).content?.text).toBe(text);
      expect((await restored.jobs.get(waitingJobId)).status).toBe("waiting");
    } finally {
      await restored.close();
    }
  }, 60_000);

  it("refuses a backup whose file no longer matches its hash, and a target that is not empty", async () => {
    const damaged = join(root, "damaged");
    await restoreBackup({ backup, target: join(root, "copy-source"), replayErasuresFrom: live });
    const copy = await backupDataDir({ dataDir: join(root, "copy-source"), target: damaged });
    const keysFile = join(damaged, "keys/keys.db");
    const bytes = readFileSync(keysFile);
    bytes[bytes.length - 100] = (bytes[bytes.length - 100] ?? 0) ^ 0xff;
    writeFileSync(keysFile, bytes);
    const report = await verifyBackup(damaged);
    expect(report.ok).toBe(false);
    expect(report.problems.join("\n")).toContain("keys/keys.db: SHA-256");
    expect(copy.log.position).toBe(readManifest(backup).log.position);
    await expect(restoreBackup({ backup: damaged, target: join(root, "never") })).rejects.toBeInstanceOf(RestoreRefused);
    expect(existsSync(join(root, "never"))).toBe(false);
    await expect(restoreBackup({ backup, target: live })).rejects.toBeInstanceOf(RestoreRefused);
  }, 60_000);

  it("an erasure recorded after the backup: replayed on restore (bob stays shredded); without the live log, a loud warning, recorded", async () => {
    await ledger.subjects.erase("bob", { ...ctx, reason: "right to erasure" });
    const aliceErased = before[2]!.memoryId;
    await ledger.memories.erase(aliceErased, { ...ctx, reason: "asked to forget this one" });
    const bobUnits = before.filter((_, i) => i % 4 === 0).map((b) => b.memoryId);

    const replayed = join(root, "replayed");
    const report = await restoreBackup({ backup, target: replayed, replayErasuresFrom: live });
    expect(report.erasures?.subjectsErased).toEqual(["bob"]);
    expect(report.erasures?.keysDestroyed.length).toBeGreaterThanOrEqual(bobUnits.length);
    expect(report.erasures?.failures).toEqual([]);
    expect(report.erasures?.memoriesErased).toEqual([aliceErased]);
    expect(rows(join(replayed, "keys/keys.db"), "SELECT count(*) AS n FROM data_keys WHERE subject_id = 'bob'")[0]!.n).toBe(0);
    const restored = await openMemLedger({ dataDir: replayed, worker: false });
    try {
      for (const id of bobUnits) {
        const unit = await restored.memories.get(id);
        expect(unit.status).toBe("erased");
        expect(unit.content?.text ?? null).toBeNull();
      }
      expect((await restored.subjects.certificates("bob")).length).toBe(1);
      expect((await restored.memories.get(aliceErased)).status).toBe("erased");
      expect((await restored.memories.get(before[1]!.memoryId)).content?.text).toBe(before[1]!.text);
    } finally {
      await restored.close();
    }
    expect(JSON.parse(readFileSync(join(replayed, restoreRecordFile), "utf8")).erasuresReplayed).toBe(true);

    const unreplayed = join(root, "unreplayed");
    const warned = await restoreBackup({ backup, target: unreplayed });
    expect(warned.warnings.join(" ")).toContain("NOT replayed");
    const record = JSON.parse(readFileSync(join(unreplayed, restoreRecordFile), "utf8"));
    expect(record.erasuresReplayed).toBe(false);
    expect(record.warnings[0]).toContain("--replay-erasures-from");
    // The warning is not idle: without the replay bob's keys are back.
    expect(rows(join(unreplayed, "keys/keys.db"), "SELECT count(*) AS n FROM data_keys WHERE subject_id = 'bob'")[0]!.n).toBeGreaterThan(0);
  }, 60_000);

  it("refuses to replay erasures from a log the backup was not taken from", async () => {
    const other = join(root, "other");
    const otherLedger = await openMemLedger({ dataDir: other, worker: false });
    await otherLedger.cubes.create({ cubeId: "x", name: "X", owner: { kind: "project", id: "p" } }, ctx);
    for (let i = 0; i < 50; i++) await otherLedger.memories.create({ cubeId: "x", text: `other ${i}`, userId: "zoe" }, ctx);
    await otherLedger.close();
    await expect(restoreBackup({ backup, target: join(root, "wrong-live"), replayErasuresFrom: other })).rejects.toThrow(/not the log this backup was taken from/);
  }, 60_000);
});
