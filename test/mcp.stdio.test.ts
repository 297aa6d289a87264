import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openMemLedger } from "../src/app/memLedger.js";
import { buildServer } from "../src/server/buildServer.js";
import { runCliCaptured } from "./support/cliRun.js";

/**
 * `memledger mcp` as a desktop client runs it: the real CLI spawned (the
 * TypeScript source through tsx), spoken to over stdin/stdout by the SDK's own
 * client, acting as the principal of MEMLEDGER_API_KEY.
 */
const cli = ["--import", "tsx", join(process.cwd(), "src", "cli", "main.ts")];

// Each test spawns the CLI (tsx compiles the source at start): seconds when idle, tens of seconds on a loaded machine.
describe("memledger mcp over stdio, spawned as an MCP client would", { timeout: 120_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), "memledger-mcp-"));
  const keys: Record<"writer" | "reader", string> = { writer: "", reader: "" };
  const clients: Client[] = [];

  const spawnClient = async (env: Record<string, string>, args: readonly string[] = ["--data-dir", dataDir]): Promise<Client> => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [...cli, "mcp", ...args],
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
      stderr: "pipe",
    });
    const client = new Client({ name: "memledger-stdio-test", version: "1.0.0" });
    await client.connect(transport);
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
    // Set up principals and a cube in-process, then close: the spawned CLI opens the directory itself.
    const ledger = await openMemLedger({ dataDir });
    await ledger.cubes.create({ cubeId: "journal", name: "Journal", owner: { kind: "user", id: "wes" } });
    await ledger.governance.createPrincipal({ principalId: "wes", kind: "agent", roles: ["writer"] });
    await ledger.governance.createPrincipal({ principalId: "rita", kind: "user", roles: ["reader"] });
    keys.writer = (await ledger.governance.issueKey("wes", { scopes: ["write"] })).token;
    keys.reader = (await ledger.governance.issueKey("rita", { scopes: ["read"] })).token;
    await ledger.close();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("a scripted session in-process on a data directory: add, search, get, edit, history, revert, archive, resources", async () => {
    const client = await spawnClient({ MEMLEDGER_API_KEY: keys.writer });
    expect((await client.listTools()).tools.map((t) => t.name)).toContain("search_memories");
    const added = ok<{ memoryId: string; revision: number; createdBy: string }>(await call(client, "add_memory", { cubeId: "journal", text: "Wes prefers window seats", tags: ["travel"] }));
    expect(added.createdBy).toBe("principal:wes");
    const found = ok<{ results: Array<{ memoryId: string }> }>(await call(client, "search_memories", { query: "window seats", cubeIds: ["journal"] }));
    expect(found.results.map((r) => r.memoryId)).toEqual([added.memoryId]);
    ok(await call(client, "edit_memory", { memoryId: added.memoryId, text: "Wes prefers aisle seats", reason: "he changed his mind" }));
    expect(ok<{ content: { text: string } }>(await call(client, "get_memory", { memoryId: added.memoryId })).content.text).toBe("Wes prefers aisle seats");
    const history = ok<Array<{ type: string; reason?: string }>>(await call(client, "memory_history", { memoryId: added.memoryId }));
    expect(history.map((h) => h.reason)).toContain("he changed his mind");
    expect(ok<{ content: { text: string } }>(await call(client, "revert_memory", { memoryId: added.memoryId, toRevision: added.revision })).content.text).toBe("Wes prefers window seats");
    expect(ok<{ status: string }>(await call(client, "archive_memory", { memoryId: added.memoryId })).status).toBe("archived");
    const resource = await client.readResource({ uri: `memledger://memories/${added.memoryId}` });
    expect(JSON.parse((resource.contents[0] as { text: string }).text)).toMatchObject({ memoryId: added.memoryId, status: "archived" });
    expect((await client.listResources()).resources.map((r) => r.uri)).toEqual(["memledger://cubes/journal"]);
    await client.close();
  });

  it("a read-only key: reads work, write tools answer a tool error saying which scope is missing", async () => {
    const client = await spawnClient({ MEMLEDGER_API_KEY: keys.reader });
    expect(ok<Array<{ cubeId: string }>>(await call(client, "list_cubes")).map((c) => c.cubeId)).toEqual(["journal"]);
    const refused = await call(client, "add_memory", { cubeId: "journal", text: "Rita was here" });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(/^Forbidden: memory\.write needs a credential with the write scope/);
    await client.close();
  });

  it("against a running server (MEMLEDGER_URL, like --server), through the HTTP client", async () => {
    const ledger = await openMemLedger({ dataDir });
    let app: FastifyInstance | undefined;
    try {
      app = await buildServer(ledger, { rateLimit: false });
      const url = await app.listen({ host: "127.0.0.1", port: 0 });
      // MEMLEDGER_URL: the name an MCP client configuration uses; --server works the same.
      const client = await spawnClient({ MEMLEDGER_API_KEY: keys.writer, MEMLEDGER_URL: url }, []);
      const added = ok<{ memoryId: string; createdBy: string }>(await call(client, "add_memory", { cubeId: "journal", text: "Wes flies on Tuesdays" }));
      expect(added.createdBy).toBe("principal:wes");
      expect((await ledger.memories.get(added.memoryId)).content?.text).toBe("Wes flies on Tuesdays");
      await client.close();
    } finally {
      await app?.close();
      await ledger.close();
    }
  });

  it("refuses to start without a key: the model never acts as the local operator", async () => {
    // In process (no spawn needed): the refusal comes before any stdio or data directory is touched.
    const saved = process.env.MEMLEDGER_API_KEY;
    delete process.env.MEMLEDGER_API_KEY;
    try {
      const run = await runCliCaptured(["mcp", "--data-dir", dataDir]);
      expect(run.code).toBe(2);
      expect(run.out).toBe("");
      expect(run.err).toMatch(/needs an API key.*MEMLEDGER_API_KEY/);
    } finally {
      if (saved !== undefined) process.env.MEMLEDGER_API_KEY = saved;
    }
  });
});
