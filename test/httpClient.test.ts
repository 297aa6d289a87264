import type { FastifyInstance } from "fastify";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../src/cli/main.js";
import { connectMemLedger, type RemoteLedger } from "../src/client/httpClient.js";
import { buildServer } from "../src/server/buildServer.js";
import { failureOf, tempLedger } from "./support/tempLedger.js";

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

describe("connectMemLedger against a stub server", () => {
  let server: Server;
  let baseUrl: string;
  let seen: Seen[];
  const memory = { memoryId: "m1", cubeId: "c", status: "activated", revision: 2, version: 2, content: { text: "y" } };

  beforeEach(async () => {
    seen = [];
    server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString()));
      request.on("end", () => {
        seen.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers, body });
        const send = (status: number, payload: unknown) => {
          response.writeHead(status, { "content-type": "application/json" });
          response.end(JSON.stringify(payload));
        };
        const path = (request.url ?? "").split("?")[0];
        if (path === "/health") return send(200, { status: "ok", engine: "stub" });
        if (path === "/memories/m1" && (request.method === "PATCH" || request.method === "GET")) return send(200, memory);
        if (path === "/memories/m1/history") return send(200, { memoryId: "m1", entries: [{ revision: 0, type: "MemoryCreated" }] });
        if (path === "/memories/stale/archive") return send(409, { error: "RevisionMismatch", message: "memory stale is at revision 3, not 1", memoryId: "stale", expected: 1, actual: 3 });
        if (path === "/memories/down") return send(503, { error: "EventStoreUnavailable", message: "the disk is gone" });
        if (path === "/memories/unauthenticated") return send(401, { error: "Unauthenticated", message: "the API key is revoked; send Authorization: Bearer <api key>", why: "the API key is revoked" });
        if (path === "/memories/forbidden") return send(403, { error: "Forbidden", message: "principal bob needs memory.read on cube c", action: "memory.read", principalId: "bob" });
        if (path === "/memories/gateway401") {
          response.writeHead(401, { "content-type": "text/plain" });
          return response.end("Unauthorized");
        }
        if (path === "/memories/html") {
          response.writeHead(502, { "content-type": "text/html" });
          return response.end("<html>bad gateway</html>");
        }
        send(404, { error: "MemoryNotFound", message: `memory ${path} does not exist`, memoryId: path });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("reads the engine once at connect time and maps the key, request options and write options to headers and body", async () => {
    const ledger = await connectMemLedger(baseUrl, { apiKey: "mlk_test", onBehalfOf: "alice" });
    expect(ledger.engine).toBe("stub");
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(["GET /health"]);

    const ctx = { reason: "user corrected", correlationId: "corr-1", commandId: "cmd-7" };
    const edited = await ledger.memories.edit("m1", { content: { text: "y" } }, ctx, { expectedRevision: 1 });
    expect(edited).toEqual(memory);
    const patch = seen.at(-1)!;
    expect(patch.method).toBe("PATCH");
    expect(patch.url).toBe("/memories/m1");
    expect(patch.headers).toMatchObject({
      authorization: "Bearer mlk_test",
      "x-on-behalf-of": "alice",
      "x-reason": "user corrected",
      "x-correlation-id": "corr-1",
      "idempotency-key": "cmd-7",
      "if-match": '"1"',
      "content-type": "application/json",
    });
    expect(JSON.parse(patch.body)).toEqual({ content: { text: "y" }, expectedRevision: 1 });
    // Who acts comes from the key alone: the client never claims a tenant or an actor.
    expect(patch.headers["x-tenant-id"]).toBeUndefined();
    expect(patch.headers["x-actor"]).toBeUndefined();

    await ledger.memories.get("m1", { revision: 1 });
    expect(seen.at(-1)).toMatchObject({ method: "GET", url: "/memories/m1?asOfRevision=1", headers: { authorization: "Bearer mlk_test" } });
    expect(seen.at(-1)!.headers["x-reason"]).toBeUndefined();
    expect(seen.at(-1)!.headers["if-match"]).toBeUndefined();

    expect(await ledger.memories.history("m1")).toEqual([{ revision: 0, type: "MemoryCreated" }]);
    await ledger.close();
  });

  it("refuses to connect without an API key", async () => {
    await expect(connectMemLedger(baseUrl, { apiKey: " " })).rejects.toMatchObject({ _tag: "Unauthenticated", status: 401 });
    expect(seen).toEqual([]);
  });

  it("throws errors carrying the server's tag, message, status and details", async () => {
    const ledger = await connectMemLedger(baseUrl, { apiKey: "mlk_test" });
    const missing = await failureOf(ledger.memories.get("nope"));
    expect(missing).toMatchObject({ _tag: "MemoryNotFound", message: "memory /memories/nope does not exist", status: 404, memoryId: "/memories/nope" });
    expect(missing).toBeInstanceOf(Error);

    const stale = await failureOf(ledger.memories.archive("stale", undefined, { expectedRevision: 1 }));
    expect(stale).toMatchObject({ _tag: "RevisionMismatch", status: 409, expected: 1, actual: 3 });
    expect(seen.at(-1)!.headers["if-match"]).toBe('"1"');
    expect(seen.at(-1)!.headers["x-on-behalf-of"]).toBeUndefined();

    expect(await failureOf(ledger.memories.get("unauthenticated"))).toMatchObject({ _tag: "Unauthenticated", status: 401, why: "the API key is revoked" });
    expect(await failureOf(ledger.memories.get("forbidden"))).toMatchObject({ _tag: "Forbidden", status: 403, action: "memory.read", principalId: "bob" });
    // A proxy's own 401 page is still a typed refusal the caller can act on.
    const gateway = await failureOf(ledger.memories.get("gateway401"));
    expect(gateway).toMatchObject({ _tag: "Unauthenticated", status: 401 });
    expect(gateway.message).toContain("HTTP 401");

    const html = await failureOf(ledger.memories.get("html"));
    expect(html._tag).toBeUndefined();
    expect(html.message).toContain("HTTP 502");
  });

  it("is what the CLI uses with --server: typed errors exit 2, storage trouble exits 1", async () => {
    const io = () => {
      const run = { out: "", err: "" };
      return { run, io: { out: (s: string) => (run.out += s), err: (s: string) => (run.err += s) } };
    };
    const a = io();
    expect(await runCli(["--server", baseUrl, "--api-key", "mlk_test", "memory", "get", "missing"], a.io)).toBe(2);
    expect(a.run.err).toBe("error: memory /memories/missing does not exist\n");
    expect(seen.at(-1)!.headers.authorization).toBe("Bearer mlk_test");
    const b = io();
    expect(await runCli(["--server", baseUrl, "--api-key", "mlk_test", "memory", "get", "down"], b.io)).toBe(1);
    expect(b.run.err).toBe("error: the disk is gone\n");
    const c = io();
    expect(await runCli(["--server", baseUrl, "--data-dir", "/tmp/x", "cube", "list"], c.io)).toBe(2);
    expect(c.run.err).toContain("either --data-dir or --server");
    const d = io();
    expect(await runCli(["--server", baseUrl, "--api-key", "mlk_test", "memory", "get", "forbidden"], d.io)).toBe(2);
    expect(d.run.err).toBe("error: principal bob needs memory.read on cube c\n");
  });
});

describe("connectMemLedger against the real server", () => {
  let app: FastifyInstance;
  let dispose: () => Promise<void>;
  let baseUrl: string;
  let adminKey: string;
  let remote: RemoteLedger;

  beforeAll(async () => {
    const t = await tempLedger();
    dispose = t.dispose;
    // As the server's first start does: an admin and its key in a file only its owner can read.
    await t.ledger.bootstrapAdmin(join(t.dataDir, "admin.key"));
    adminKey = readFileSync(join(t.dataDir, "admin.key"), "utf8").trim();
    app = await buildServer(t.ledger);
    baseUrl = await app.listen({ host: "127.0.0.1", port: 0 });
    remote = await connectMemLedger(baseUrl, { apiKey: adminKey });
  });
  afterAll(async () => {
    await remote.close();
    await app.close();
    await dispose();
  });

  it("behaves like the library for a lifecycle round trip, acting as the key's principal", async () => {
    expect(remote.engine).toBe("sqlite");
    await remote.cubes.create({ cubeId: "c", name: "C", owner: { kind: "user", id: "alice" } });
    const unit = await remote.memories.create({ cubeId: "c", text: "Alice likes green tea", tags: ["food"] });
    await remote.memories.edit(unit.memoryId, { content: { text: "Alice likes jasmine tea" } }, { reason: "user corrected", correlationId: "corr-9" }, { expectedRevision: 1 });
    expect((await remote.memories.archive(unit.memoryId)).status).toBe("archived");
    expect((await remote.memories.restore(unit.memoryId)).status).toBe("activated");
    const history = await remote.memories.history(unit.memoryId);
    expect(history[2]).toMatchObject({ type: "MemoryEdited", actor: "principal:admin", reason: "user corrected" });
    expect((await remote.memories.get(unit.memoryId, { revision: 1 })).content?.text).toBe("Alice likes green tea");
    expect((await remote.memories.revert(unit.memoryId, 1)).content?.text).toBe("Alice likes green tea");
    expect((await remote.memories.diff(unit.memoryId, 1, 2)).changes.map((c) => c.field)).toEqual(["version", "content.text"]);
    expect((await remote.cubes.list()).map((c) => c.cubeId)).toEqual(["c"]);
    expect((await remote.cubes.memories("c", { statuses: ["activated"] })).map((m) => m.memoryId)).toEqual([unit.memoryId]);

    const stale = await failureOf(remote.memories.edit(unit.memoryId, { content: { text: "z" } }, undefined, { expectedRevision: 1 }));
    expect(stale).toMatchObject({ _tag: "RevisionMismatch", status: 409, expected: 1 });
    const frozen = await remote.memories.freeze(unit.memoryId, "legal_hold", "case 42");
    expect(frozen.status).toBe("frozen");
    expect(await failureOf(remote.memories.edit(unit.memoryId, { content: { text: "z" } }))).toMatchObject({ _tag: "TransitionRejected", status: 409, state: "frozen" });
    expect(await failureOf(remote.memories.get("missing"))).toMatchObject({ _tag: "MemoryNotFound", status: 404, memoryId: "missing" });
    expect((await remote.health()).status).toBe("ready");
  });

  it("surfaces a wrong key as a typed 401", async () => {
    const stranger = await connectMemLedger(baseUrl, { apiKey: "mlk_not_a_key" });
    expect(await failureOf(stranger.cubes.list())).toMatchObject({ _tag: "Unauthenticated", status: 401 });
  });

  it("serves the CLI with --server and --api-key", async () => {
    let out = "";
    const io = { out: (s: string) => (out += s), err: () => {} };
    expect(await runCli(["--server", baseUrl, "--api-key", adminKey, "cube", "create", "Via CLI", "--owner-kind", "agent", "--owner-id", "a", "--id", "via-cli"], io)).toBe(0);
    out = "";
    expect(await runCli(["--server", baseUrl, "--api-key", adminKey, "--json", "cube", "list"], io)).toBe(0);
    expect((JSON.parse(out) as { cubeId: string; createdBy: string }[]).find((c) => c.cubeId === "via-cli")?.createdBy).toBe("principal:admin");
  });

  it("tells the CLI user where to get a key when none is given", async () => {
    const emptyDir = mkdtempSync(join(tmpdir(), "memledger-nokey-"));
    const saved = { dataDir: process.env.MEMLEDGER_DATA_DIR, apiKey: process.env.MEMLEDGER_API_KEY };
    process.env.MEMLEDGER_DATA_DIR = emptyDir;
    delete process.env.MEMLEDGER_API_KEY;
    try {
      let err = "";
      expect(await runCli(["--server", baseUrl, "cube", "list"], { out: () => {}, err: (s) => (err += s) })).toBe(2);
      expect(err).toContain("needs an API key");
      expect(err).toContain("admin.key");
    } finally {
      if (saved.dataDir === undefined) delete process.env.MEMLEDGER_DATA_DIR;
      else process.env.MEMLEDGER_DATA_DIR = saved.dataDir;
      if (saved.apiKey !== undefined) process.env.MEMLEDGER_API_KEY = saved.apiKey;
      rmSync(emptyDir, { recursive: true, force: true });
    }
  });
});
