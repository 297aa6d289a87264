import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MemLedger } from "../src/app/memLedger.js";
import { buildServer } from "../src/server/buildServer.js";
import { authenticatedServer, type AuthenticatedServer } from "./support/authenticatedServer.js";
import { tempLedger } from "./support/tempLedger.js";

/** The SDK's own client against the real server's `/mcp`, as a desktop or agent client would connect. */
describe("MCP over Streamable HTTP at /mcp, as the bearer key's principal", () => {
  let server: AuthenticatedServer;
  let ledger: MemLedger;
  let dispose: () => Promise<void>;
  let baseUrl: string;
  const clients: Client[] = [];

  const connect = async (token: string): Promise<Client> => {
    const client = new Client({ name: "memledger-test", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    clients.push(client);
    return client;
  };
  const call = async (client: Client, name: string, args: Record<string, unknown> = {}) => (await client.callTool({ name, arguments: args })) as CallToolResult;
  const text = (result: CallToolResult): string => (result.content[0] as { text: string }).text;
  const ok = <T = Record<string, unknown>>(result: CallToolResult): T => {
    expect(result.isError, text(result)).toBeFalsy();
    return JSON.parse(text(result)) as T;
  };

  beforeAll(async () => {
    const t = await tempLedger({ readAudit: { mode: "sync" } });
    ledger = t.ledger;
    dispose = t.dispose;
    server = await authenticatedServer(t.ledger, t.dataDir);
    baseUrl = await server.app.listen({ host: "127.0.0.1", port: 0 });
    const admin = await server.authHeaders();
    for (const [cubeId, tenant] of [["kitchen", "default"], ["elsewhere", "other"]] as const) {
      const created = await fetch(`${baseUrl}/cubes`, {
        method: "POST",
        headers: { ...(tenant === "default" ? admin : await server.authHeaders(tenant)), "content-type": "application/json" },
        body: JSON.stringify({ cubeId, name: cubeId, owner: { kind: "user", id: "ana" } }),
      });
      expect(created.status).toBe(201);
    }
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await server.app.close();
    await dispose();
  });

  it("a scripted session: list tools, add, search, get, edit, history, revert, archive, read resources", async () => {
    const client = await connect(await server.tokenFor());
    expect(client.getServerVersion()?.name).toBe("memledger");
    expect(client.getInstructions()).toContain("search_memories");

    const tools = (await client.listTools()).tools;
    expect(tools.map((t) => t.name).sort()).toEqual(["add_memory", "add_messages", "archive_memory", "edit_memory", "get_memory", "list_cubes", "memory_history", "restore_memory", "revert_memory", "search_memories"]);
    for (const tool of tools) expect(tool.description!.length, tool.name).toBeGreaterThan(60);
    expect(tools.find((t) => t.name === "search_memories")!.inputSchema.required).toEqual(["query"]);

    expect(ok<Array<{ cubeId: string }>>(await call(client, "list_cubes")).map((c) => c.cubeId)).toEqual(["kitchen"]);

    const added = ok<{ memoryId: string; revision: number; status: string; createdBy: string }>(
      await call(client, "add_memory", { cubeId: "kitchen", text: "Ana is allergic to peanuts", tags: ["allergy"], userId: "ana", reason: "told in chat" }),
    );
    expect(added).toMatchObject({ status: "activated", createdBy: "principal:admin" });
    await call(client, "add_memory", { cubeId: "kitchen", text: "The oven runs 10 degrees hot", tags: ["appliance"] });

    const found = ok<{ results: Array<{ memoryId: string; text: string }> }>(await call(client, "search_memories", { query: "peanuts allergy", limit: 5 }));
    expect(found.results[0]).toMatchObject({ memoryId: added.memoryId, text: "Ana is allergic to peanuts" });
    const withTag = async (tag: string) => ok<{ results: Array<{ memoryId: string }> }>(await call(client, "search_memories", { query: "peanuts", tags: [tag], cubeIds: ["kitchen"] })).results.map((r) => r.memoryId);
    expect(await withTag("allergy")).toEqual([added.memoryId]);
    expect(await withTag("appliance")).not.toContain(added.memoryId);

    const edited = ok<{ revision: number; content: { text: string } }>(
      await call(client, "edit_memory", { memoryId: added.memoryId, text: "Ana is allergic to peanuts and tree nuts", expectedRevision: added.revision }),
    );
    expect(edited.content.text).toBe("Ana is allergic to peanuts and tree nuts");
    // Time travel: as of the first revision the memory still says the old thing.
    expect(ok<{ content: { text: string } }>(await call(client, "get_memory", { memoryId: added.memoryId, asOfRevision: added.revision })).content.text).toBe("Ana is allergic to peanuts");

    const history = ok<Array<{ revision: number; type: string; reason?: string }>>(await call(client, "memory_history", { memoryId: added.memoryId }));
    expect(history.map((h) => h.type)).toEqual(["MemoryCreated", "MemoryActivated", "MemoryEdited"]);
    expect(history.some((h) => h.reason === "told in chat")).toBe(true);

    const reverted = ok<{ content: { text: string } }>(await call(client, "revert_memory", { memoryId: added.memoryId, toRevision: added.revision, reason: "wrong edit" }));
    expect(reverted.content.text).toBe("Ana is allergic to peanuts");

    const stale = await call(client, "edit_memory", { memoryId: added.memoryId, text: "stale write", expectedRevision: added.revision });
    expect(stale.isError).toBe(true);
    expect(text(stale)).toMatch(/revision/i);

    expect(ok<{ status: string }>(await call(client, "archive_memory", { memoryId: added.memoryId, reason: "no longer true" })).status).toBe("archived");
    const afterArchive = ok<{ results: Array<{ memoryId: string }> }>(await call(client, "search_memories", { query: "peanuts allergy" }));
    expect(afterArchive.results.map((r) => r.memoryId)).not.toContain(added.memoryId);

    expect(ok<{ status: string }>(await call(client, "restore_memory", { memoryId: added.memoryId, reason: "still true after all" })).status).toBe("activated");
    expect(ok<{ status: string }>(await call(client, "archive_memory", { memoryId: added.memoryId })).status).toBe("archived");

    const memoryResource = await client.readResource({ uri: `memledger://memories/${added.memoryId}` });
    expect(memoryResource.contents[0]!.mimeType).toBe("application/json");
    expect(JSON.parse((memoryResource.contents[0] as { text: string }).text)).toMatchObject({ memoryId: added.memoryId, status: "archived" });
    const cubeResource = JSON.parse(((await client.readResource({ uri: "memledger://cubes/kitchen" })).contents[0] as { text: string }).text) as { cube: { cubeId: string }; memories: Array<{ content: { text: string } }> };
    expect(cubeResource.cube.cubeId).toBe("kitchen");
    expect(cubeResource.memories.map((m) => m.content.text)).toEqual(["The oven runs 10 degrees hot"]);
    expect((await client.listResources()).resources.map((r) => r.uri)).toEqual(["memledger://cubes/kitchen"]);
    expect((await client.listResourceTemplates()).resourceTemplates.map((r) => r.uriTemplate).sort()).toEqual(["memledger://cubes/{cubeId}", "memledger://memories/{memoryId}"]);

    // The events carry the MCP caller as their actor, like any other entry point.
    expect((await ledger.memories.get(added.memoryId)).updatedBy).toBe("principal:admin");
  });

  it("add_messages: the turns are stored raw and memories extracted from them, citing them", async () => {
    const client = await connect(await server.tokenFor());
    const read = ok<{ async: boolean; rawMemoryIds: string[]; memories: Array<{ memoryId: string; content: { text: string; sources: Array<{ ref: string }> } }> }>(
      await call(client, "add_messages", {
        cubeId: "kitchen",
        userId: "ana",
        waitForExtraction: true,
        messages: [
          { role: "user", speaker: "Ana", content: "I started baking sourdough every Sunday." },
          { role: "assistant", content: "Nice, how long do you proof the dough?" },
        ],
      }),
    );
    expect(read.async).toBe(false);
    expect(read.rawMemoryIds).toHaveLength(2);
    expect(read.memories.length).toBeGreaterThan(0);
    expect(read.memories.some((m) => m.content.text.includes("sourdough"))).toBe(true);
    const fine = await call(client, "add_messages", { cubeId: "kitchen", mode: "fine", messages: [{ role: "user", content: "hello" }] });
    expect(fine.isError).toBe(true);
    expect(text(fine)).toMatch(/^ChatModelNotConfigured: .*MEMLEDGER_/);
    expect(read.memories.flatMap((m) => m.content.sources.map((source) => source.ref)).some((ref) => read.rawMemoryIds.includes(ref))).toBe(true);
  });

  it("bad input and unknown ids come back as tool errors that say what to fix, and the session keeps working", async () => {
    const client = await connect(await server.tokenFor());
    const missing = await call(client, "get_memory", { memoryId: "no-such-memory" });
    expect(missing.isError).toBe(true);
    expect(text(missing)).toMatch(/no-such-memory/);
    const both = await call(client, "get_memory", { memoryId: "x", asOfTime: "2026-01-01T00:00:00Z", asOfRevision: 1 });
    expect(both).toMatchObject({ isError: true });
    expect(text(both)).toMatch(/at most one of asOfTime, asOfPosition, asOfRevision/);
    const nothing = await call(client, "edit_memory", { memoryId: "x" });
    expect(text(nothing)).toMatch(/nothing to change/);
    const invalid = await call(client, "add_memory", { cubeId: "kitchen" });
    expect(invalid.isError).toBe(true);
    expect(text(invalid)).toMatch(/text/);
    await expect(client.readResource({ uri: "memledger://memories/no-such-memory" })).rejects.toThrow(/no-such-memory/);
    expect(ok<unknown[]>(await call(client, "list_cubes")).length).toBe(1);
  });

  it("a reader sees write tools fail with a clear error; another tenant's cubes and memories look missing", async () => {
    const readerToken = await server.principalToken("rita", { roles: ["reader"] });
    const reader = await connect(readerToken);
    const cubes = ok<Array<{ cubeId: string }>>(await call(reader, "list_cubes"));
    expect(cubes.map((c) => c.cubeId)).toEqual(["kitchen"]);
    const write = await call(reader, "add_memory", { cubeId: "kitchen", text: "Rita was here" });
    expect(write.isError).toBe(true);
    expect(text(write)).toMatch(/^Forbidden: .*rita/);
    expect(ok<{ results: unknown[] }>(await call(reader, "search_memories", { query: "oven" })).results.length).toBeGreaterThan(0);

    const ungranted = await connect(await server.principalToken("nora", { roles: [] }));
    expect(ok<unknown[]>(await call(ungranted, "list_cubes"))).toEqual([]);
    expect(text(await call(ungranted, "search_memories", { query: "oven" }))).toMatch(/^InvalidRequest: you may read no cube yet/);
    expect(text(await call(ungranted, "search_memories", { query: "oven", cubeIds: ["kitchen"] }))).toMatch(/^(Forbidden|CubeNotFound)/);

    const outsider = await connect(await server.tokenFor("other"));
    const theirs = await ledger.memories.create({ cubeId: "kitchen", text: "kitchen secret" }, { tenantId: "default", actor: "system:test" });
    const hidden = await call(outsider, "get_memory", { memoryId: theirs.memoryId });
    expect(hidden.isError).toBe(true);
    expect(text(hidden)).toMatch(/^MemoryNotFound/);
    expect(text(await call(outsider, "search_memories", { query: "secret", cubeIds: ["kitchen"] }))).toMatch(/^CubeNotFound/);
    await expect(outsider.readResource({ uri: "memledger://cubes/kitchen" })).rejects.toThrow(/CubeNotFound|kitchen/);
    expect(ok<Array<{ cubeId: string }>>(await call(outsider, "list_cubes")).map((c) => c.cubeId)).toEqual(["elsewhere"]);
  });

  it("a key revoked during a session is refused on its next call (401 Unauthenticated), not at the session's end", async () => {
    const token = await server.principalToken("kim", { roles: ["writer"] });
    const client = await connect(token);
    expect(ok<unknown[]>(await call(client, "list_cubes")).length).toBe(1);
    const keys = (await server.app.inject({ method: "GET", url: "/keys?principalId=kim" })).json() as { keys: Array<{ keyId: string }> };
    expect((await server.app.inject({ method: "POST", url: `/keys/${keys.keys[0]!.keyId}/revoke` })).statusCode).toBe(200);
    await expect(call(client, "list_cubes")).rejects.toThrow(/Unauthenticated.*was revoked/);
  });

  it("closing the server ends open sessions and their event streams instead of waiting for them", async () => {
    const second = await buildServer(ledger, { rateLimit: false });
    const url = await second.listen({ host: "127.0.0.1", port: 0 });
    const headers = { "content-type": "application/json", accept: "application/json, text/event-stream", ...(await server.authHeaders()) };
    const initialize = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } } };
    const opened = await fetch(`${url}/mcp`, { method: "POST", headers, body: JSON.stringify(initialize) });
    const sessionId = opened.headers.get("mcp-session-id")!;
    await opened.body?.cancel();
    await fetch(`${url}/mcp`, { method: "POST", headers: { ...headers, "mcp-session-id": sessionId }, body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) });
    const stream = await fetch(`${url}/mcp`, { method: "GET", headers: { accept: "text/event-stream", authorization: headers.authorization, "mcp-session-id": sessionId } });
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toMatch(/text\/event-stream/);
    const started = Date.now();
    await second.close();
    expect(Date.now() - started).toBeLessThan(3_000);
    await stream.body?.cancel().catch(() => undefined);
  });

  it("answers 401 without a key, and a session cannot be used with another principal's key", async () => {
    const initialize = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } } };
    const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" };
    const anonymous = await fetch(`${baseUrl}/mcp`, { method: "POST", headers, body: JSON.stringify(initialize) });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toMatch(/Bearer/);

    const opened = await fetch(`${baseUrl}/mcp`, { method: "POST", headers: { ...headers, ...(await server.authHeaders()) }, body: JSON.stringify(initialize) });
    expect(opened.status).toBe(200);
    const sessionId = opened.headers.get("mcp-session-id")!;
    expect(sessionId).toBeTruthy();
    await opened.body?.cancel();

    const listTools = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" });
    const stranger = await fetch(`${baseUrl}/mcp`, { method: "POST", headers: { ...headers, ...(await server.authHeaders("other")), "mcp-session-id": sessionId }, body: listTools });
    expect(stranger.status).toBe(404);
    const noSession = await fetch(`${baseUrl}/mcp`, { method: "POST", headers: { ...headers, ...(await server.authHeaders()) }, body: listTools });
    expect(noSession.status).toBe(400);

    const ended = await fetch(`${baseUrl}/mcp`, { method: "DELETE", headers: { ...(await server.authHeaders()), "mcp-session-id": sessionId } });
    expect(ended.status).toBe(200);
    const afterEnd = await fetch(`${baseUrl}/mcp`, { method: "POST", headers: { ...headers, ...(await server.authHeaders()), "mcp-session-id": sessionId }, body: listTools });
    expect(afterEnd.status).toBe(404);
  });
});
