import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { connectMemLedger } from "../src/client/httpClient.js";
import { runCli } from "../src/cli/main.js";
import { authenticatedServer } from "./support/authenticatedServer.js";
import { tempLedger } from "./support/tempLedger.js";

/** Issue 13, tamper evidence over REST: POST /audit/verify (log.verify), POST /audit/checkpoints (log.checkpoint), the public key. */

describe("tamper evidence over REST", () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  it("an auditor verifies and reads the public key, a writer is refused, an admin signs a checkpoint; a tampered event of the tenant is named, another tenant's only by position", async () => {
    const { ledger, dataDir, dispose } = await tempLedger();
    cleanup = dispose;
    const server = await authenticatedServer(ledger, dataDir);
    const as = (token: string) => ({ authorization: `Bearer ${token}` });
    const auditor = await server.principalToken("ann", { roles: ["auditor"], scopes: ["read"] });
    const writer = await server.principalToken("will", { roles: ["writer"] });
    await server.app.inject({ method: "POST", url: "/cubes", payload: { cubeId: "c", name: "c", owner: { kind: "user", id: "ann" } } });
    const created = await server.app.inject({ method: "POST", url: "/memories", payload: { cubeId: "c", text: "the tenant's note" } });
    expect(created.statusCode).toBe(201);
    const otherAdmin = await server.tokenFor("other");
    await server.app.inject({ method: "POST", url: "/cubes", headers: as(otherAdmin), payload: { cubeId: "secret-cube", name: "s", owner: { kind: "user", id: "x" } } });

    const intact = await server.app.inject({ method: "POST", url: "/audit/verify", headers: as(auditor) });
    expect(intact.statusCode).toBe(200);
    expect(intact.json()).toMatchObject({ ok: true, problems: [] });
    expect((await server.app.inject({ method: "POST", url: "/audit/verify", headers: as(writer) })).statusCode).toBe(403);
    expect((await server.app.inject({ method: "POST", url: "/audit/checkpoints", headers: as(auditor) })).statusCode).toBe(403);
    const signed = await server.app.inject({ method: "POST", url: "/audit/checkpoints" });
    expect(signed.statusCode).toBe(201);
    expect(signed.json().position).toBe(intact.json().head.position);
    const key = await server.app.inject({ method: "GET", url: "/audit/checkpoints/public-key", headers: as(auditor) });
    expect(key.json().publicKey).toContain("BEGIN PUBLIC KEY");

    // Tamper with both tenants' events behind the server's back (a second connection, as a rogue process would).
    const db = new Database(`${dataDir}/events.db`);
    const rowOf = (needle: string) => db.prepare<[string], { position: number; stream_id: string }>("SELECT position, stream_id FROM events WHERE data LIKE ? ORDER BY position LIMIT 1").get(`%${needle}%`)!;
    const other = rowOf("secret-cube");
    db.prepare("UPDATE events SET type = type || 'x' WHERE position = ?").run(other.position);
    const own = db.prepare<[], { position: number; stream_id: string }>("SELECT position, stream_id FROM events WHERE metadata LIKE '%\"tenantId\":\"default\"%' AND stream_id LIKE '%memory%' ORDER BY position DESC LIMIT 1").get()!;
    db.prepare("UPDATE events SET type = type || 'x' WHERE position = ?").run(own.position);
    db.close();

    const report = (await server.app.inject({ method: "POST", url: "/audit/verify", headers: as(auditor) })).json();
    expect(report.ok).toBe(false);
    const ownFinding = report.problems.find((p: { position: number }) => p.position === own.position);
    expect(ownFinding).toMatchObject({ kind: "changed", streamId: own.stream_id, tenantId: "default" });
    const otherFinding = report.problems.find((p: { position: number }) => p.position === other.position);
    expect(otherFinding).toEqual({ kind: "changed", position: other.position, message: expect.stringContaining("another tenant") });
    expect(JSON.stringify(report)).not.toContain(other.stream_id);
    await server.app.close();
  });

  it("the HTTP client and `memledger --server … audit verify` reach the same routes; automatic checkpoints follow checkpointEvery", async () => {
    const { ledger, dataDir, dispose } = await tempLedger({ tamperEvidence: { checkpointEvery: 3 } });
    cleanup = dispose;
    const server = await authenticatedServer(ledger, dataDir);
    const baseUrl = await server.app.listen({ host: "127.0.0.1", port: 0 });
    const apiKey = await server.tokenFor();
    await server.app.inject({ method: "POST", url: "/cubes", payload: { cubeId: "c", name: "c", owner: { kind: "user", id: "ann" } } });
    for (const text of ["one", "two", "three"]) await server.app.inject({ method: "POST", url: "/memories", payload: { cubeId: "c", text } });

    const client = await connectMemLedger(baseUrl, { apiKey });
    const report = await client.tamperEvidence.verify();
    expect(report).toMatchObject({ ok: true });
    // Signed automatically every 3 events, none of them asked for.
    expect(report.checkpoints.verified).toBeGreaterThanOrEqual(2);
    expect((await client.tamperEvidence.checkpoint()).position).toBe(report.head.position);
    expect((await client.tamperEvidence.publicKey()).publicKey).toContain("BEGIN PUBLIC KEY");

    let out = "";
    const code = await runCli(["audit", "verify", "--server", baseUrl, "--api-key", apiKey], { out: (s) => (out += s), err: () => {} });
    expect(out).toContain("intact:");
    expect(code).toBe(0);
    await server.app.close();
  });
});
