import type { FastifyInstance } from "fastify";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../src/cli/main.js";
import { adminKeyFile, authenticatedServer } from "./support/authenticatedServer.js";
import { flipByteInEventData, middlePage, overwritePage } from "./support/damageLog.js";
import { tempLedger } from "./support/tempLedger.js";

/** Hardening #3 over HTTP and the CLI: a damaged event log is a 503 naming the file and what to do, never a 500. */

// The server's helper sends the admin key of tenant acme, bootstrapped before the log is damaged (x-tenant-id only picks it).
const headers = { "x-tenant-id": "acme", "content-type": "application/json" };

/** A data directory with a cube and 120 memories, closed cleanly (the log checkpointed into events.db). */
async function writtenDataDir(): Promise<{ dataDir: string; memoryIds: string[] }> {
  const { ledger, dataDir } = await tempLedger({ worker: false });
  const ctx = { tenantId: "acme", actor: "user:alice" };
  await ledger.bootstrapAdmin(adminKeyFile(dataDir, "acme"), "acme");
  await ledger.cubes.create({ cubeId: "home", name: "Home", owner: { kind: "user", id: "alice" } }, ctx);
  const memoryIds: string[] = [];
  for (let i = 0; i < 120; i += 1) {
    const view = await ledger.memories.create({ cubeId: "home", text: `Alice noted fact ${i}: ${"she keeps a garden of herbs and roses ".repeat(6)}`, userId: "alice", tags: [`t${i % 7}`] }, ctx);
    memoryIds.push(view.memoryId);
  }
  await ledger.close();
  return { dataDir, memoryIds };
}

describe("hardening #3: a damaged event log over HTTP and the CLI", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function serve(dataDir: string): Promise<FastifyInstance> {
    const t = await tempLedger({ dataDir });
    const { app } = await authenticatedServer(t.ledger, dataDir);
    cleanups.push(t.dispose, () => app.close());
    return app;
  }
  const call = async (app: FastifyInstance, method: "GET" | "POST", url: string, payload?: unknown) => {
    const response = await app.inject({ method, url, headers, ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}) });
    return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined };
  };

  it("hardening #3: the issue's reproduction (a page of random bytes mid events.db): readiness unavailable with the message, writes 503 EventLogDamaged, never a 500", async () => {
    const { dataDir, memoryIds } = await writtenDataDir();
    const file = join(dataDir, "events.db");
    overwritePage(file, middlePage(file));
    const app = await serve(dataDir);

    const ready = await call(app, "GET", "/health/ready?timeoutMs=5000");
    expect(ready.status).toBe(503);
    expect(ready.body.status).toBe("unavailable");
    const log = ready.body.engines.find((e: { role: string }) => e.role === "eventStore");
    expect(log).toMatchObject({ ok: false });
    expect(log.error).toContain(`the event log ${file} is damaged`);
    expect(log.error).toContain("memledger log verify");

    for (const write of [
      await call(app, "POST", "/cubes", { cubeId: "work", name: "Work", owner: { kind: "user", id: "alice" } }),
      await call(app, "POST", "/memories", { cubeId: "home", text: "Alice moved to Lyon", userId: "alice" }),
    ]) {
      expect(write.status).toBe(503);
      expect(write.body.error).toBe("EventLogDamaged");
      expect(write.body.file).toBe(file);
      expect(write.body.message).toContain("restore");
    }

    // Reads: whatever the damaged page held answers 503 with the typed error; nothing answers 500.
    const reads = [
      await call(app, "GET", "/cubes"),
      await call(app, "GET", "/cubes/home"),
      await call(app, "GET", "/cubes/home/memories"),
      await call(app, "POST", "/search", { query: "garden", cubeIds: ["home"] }),
      ...(await Promise.all(memoryIds.map((id) => call(app, "GET", `/memories/${id}/history`)))),
    ];
    for (const read of reads) {
      expect([200, 503]).toContain(read.status);
      if (read.status === 503) expect(["EventLogDamaged", "EventStoreUnavailable"]).toContain(read.body.error);
    }
    // Most units live on pages the damage missed: they still read.
    expect(reads.filter((r) => r.status === 200).length).toBeGreaterThan(memoryIds.length / 2);
  });

  it("hardening #3: one flipped byte in one event: reading that memory answers 503 naming its stream and revision; `memledger log verify` names it and exits 1", async () => {
    const { dataDir, memoryIds } = await writtenDataDir();
    const file = join(dataDir, "events.db");
    const out: string[] = [];
    const io = { out: (s: string) => out.push(s), err: (s: string) => out.push(s) };
    expect(await runCli(["--data-dir", dataDir, "log", "verify"], io)).toBe(0);
    expect(out.join("")).toMatch(/intact/);

    const victim = memoryIds[40]!;
    flipByteInEventData(file, `memory-${victim}`, 0);

    out.length = 0;
    expect(await runCli(["--data-dir", dataDir, "log", "verify"], io)).toBe(1);
    const said = out.join("");
    expect(said).toContain(`stream memory-${victim} revision 0`);
    expect(said).toContain("checksum mismatch");
    expect(said).toContain(file);

    const app = await serve(dataDir);
    const read = await call(app, "GET", `/memories/${victim}`);
    expect(read.status).toBe(503);
    expect(read.body).toMatchObject({ error: "EventLogDamaged", streamId: `memory-${victim}`, revision: 0 });
    const after = await call(app, "POST", "/memories", { cubeId: "home", text: "Alice moved to Lyon", userId: "alice" });
    expect(after).toMatchObject({ status: 503, body: { error: "EventLogDamaged" } });
    expect((await call(app, "GET", "/health/ready?timeoutMs=5000")).body.status).toBe("unavailable");
    expect((await call(app, "GET", `/memories/${memoryIds[41]!}`)).status).toBe(200);
  });
});
