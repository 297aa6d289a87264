import type { FastifyInstance } from "fastify";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openMemLedger, type MemLedger } from "../src/app/memLedger.js";
import { connectMemLedger, type RemoteLedger } from "../src/client/httpClient.js";
import { evidenceDigest } from "../src/compliance/reportsFacade.js";
import { buildServer } from "../src/server/buildServer.js";

/** The reports over REST and the HTTP client: JSON as the library, CSV with quoting and a next cursor, 403 without report.read. */
describe("compliance reports over HTTP", () => {
  let dir: string;
  let ledger: MemLedger;
  let app: FastifyInstance;
  let baseUrl: string;
  const keys: Record<string, string> = {};
  const clients: RemoteLedger[] = [];
  const get = (who: string, url: string) => app.inject({ method: "GET", url, headers: { authorization: `Bearer ${keys[who]}` } });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "compliance-http-"));
    ledger = await openMemLedger({ dataDir: dir, worker: false, readAudit: { mode: "sync" } });
    await ledger.bootstrapAdmin(join(dir, "admin.key"));
    await ledger.governance.createPrincipal({ principalId: "olga", kind: "user", roles: ["auditor"] });
    await ledger.governance.createPrincipal({ principalId: "wes", kind: "user", roles: ["writer"] });
    keys.olga = (await ledger.governance.issueKey("olga", { scopes: ["read"] })).token;
    keys.wes = (await ledger.governance.issueKey("wes", { scopes: ["admin"] })).token;
    const ctx = { tenantId: "default", actor: "=agent", reason: 'said "tea", then\nleft' };
    await ledger.cubes.create({ cubeId: "c1", name: "C1", owner: { kind: "user", id: "u" } }, ctx);
    for (let i = 0; i < 3; i += 1) await ledger.memories.create({ memoryId: `n${i}`, cubeId: "c1", text: `note ${i}`, subjectId: "s1" }, ctx);
    app = await buildServer(ledger, { rateLimit: false });
    baseUrl = await app.listen({ host: "127.0.0.1", port: 0 });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await app?.close();
    await ledger?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("the client gets the library's rows", async () => {
    const client = await connectMemLedger(baseUrl, { apiKey: keys.olga! });
    clients.push(client);
    const remote = await client.reports.changeLog({ cubeId: "c1", type: "MemoryCreated" });
    const local = await ledger.reports.changeLog({ cubeId: "c1", type: "MemoryCreated" });
    expect(remote).toEqual(local);
    expect(remote.rows.map((r) => r.memoryId)).toEqual(["n0", "n1", "n2"]);
    const evidence = await client.reports.knowledgeEvidence("c1", new Date(Date.now() + 60_000).toISOString());
    const { digest, ...body } = evidence;
    expect(evidence.rows.map((r) => r.memoryId)).toEqual(["n0", "n1", "n2"]);
    expect(digest).toBe(evidenceDigest(body));
    expect((await client.reports.subjectAccess("s1")).changes.rows.length).toBeGreaterThanOrEqual(3);
  });

  it("CSV: quoted reason, formula-safe actor, next cursor in X-Next-Cursor", async () => {
    const first = await get("olga", "/reports/changes?cubeId=c1&type=MemoryCreated&limit=2&format=csv");
    expect(first.statusCode).toBe(200);
    expect(first.headers["content-type"]).toContain("text/csv");
    const lines = first.body.split("\r\n");
    expect(lines[0]).toBe("position,recordedAt,tenant,actor,onBehalfOf,reason,streamId,memoryId,cubeId,subjectId,type,revision");
    expect(first.body).toContain(`,default,'=agent,,"said ""tea"", then\nleft",memory-n0,n0,c1,s1,MemoryCreated,0\r\n`);
    const next = first.headers["x-next-cursor"];
    expect(typeof next).toBe("string");
    const second = await get("olga", `/reports/changes?cubeId=c1&type=MemoryCreated&limit=2&format=csv&after=${next}`);
    expect(second.body).toContain("memory-n2,n2");
    expect(second.body).not.toContain("memory-n0");
    expect(second.headers["x-next-cursor"]).toBeUndefined();
  });

  it("403 naming report.read for a writer; 404 for another tenant's cube; 400 for a bad time", async () => {
    const refused = await get("wes", "/reports/changes");
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain("report.read");
    expect((await get("wes", "/reports/grants")).statusCode).toBe(403);
    expect((await get("olga", "/reports/knowledge?cubeId=nope&at=2026-01-01T00:00:00Z")).statusCode).toBe(404);
    expect((await get("olga", "/reports/erasures?from=yesterday")).statusCode).toBe(400);
    expect((await app.inject({ method: "GET", url: "/reports/changes" })).statusCode).toBe(401);
  });
});
