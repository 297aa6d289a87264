import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openAiChatModel } from "../src/chatModel/openAiChatModel.js";
import type { MemLedger } from "../src/app/memLedger.js";
import { authenticatedServer, type AuthenticatedServer } from "./support/authenticatedServer.js";
import { startChatCompletionsServer, type ChatCompletionsServer } from "./support/chatCompletionsServer.js";
import { tempLedger } from "./support/tempLedger.js";

/**
 * End to end: an MCP client's add_messages in fine mode, through /mcp, the
 * MemReader and the OpenAI-compatible chat model, to a real local
 * chat-completions server answering the extraction.
 */
describe("MCP add_messages in fine mode, through a real chat-completions endpoint", () => {
  let upstream: ChatCompletionsServer;
  let server: AuthenticatedServer;
  let ledger: MemLedger;
  let dispose: () => Promise<void>;
  let client: Client;

  beforeAll(async () => {
    upstream = await startChatCompletionsServer({
      rules: [
        {
          schemaName: "memreader_extraction",
          json: { memories: [{ kind: "preference", text: "Ana prefers oat milk in her coffee.", date: null, turnIds: ["t1"] }] },
          usage: { promptTokens: 200, completionTokens: 20 },
        },
      ],
    });
    const t = await tempLedger({ chatModel: openAiChatModel({ baseURL: upstream.url, model: "scripted-model" }) });
    ({ ledger, dispose } = t);
    server = await authenticatedServer(ledger, t.dataDir);
    const url = await server.app.listen({ host: "127.0.0.1", port: 0 });
    await ledger.cubes.create({ cubeId: "cafe", name: "Cafe", owner: { kind: "user", id: "ana" } });
    client = new Client({ name: "memledger-fine-test", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: await server.authHeaders() } }));
  });
  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await server?.app.close();
    await dispose?.();
    await upstream?.close();
  });

  it("stores the turn, asks the model, and answers the memory it extracted, sourced by the turn and stamped with the model", async () => {
    const result = (await client.callTool({
      name: "add_messages",
      arguments: { cubeId: "cafe", userId: "ana", mode: "fine", waitForExtraction: true, messages: [{ role: "user", speaker: "Ana", content: "Oat milk in my coffee, please, always." }] },
    })) as CallToolResult;
    const text = (result.content[0] as { text: string }).text;
    expect(result.isError, text).toBeFalsy();
    const read = JSON.parse(text) as { rawMemoryIds: string[]; memories: Array<{ memoryId: string; content: { text: string; sources: Array<{ ref: string }> } }> };
    expect(read.memories.map((m) => m.content.text)).toEqual(["Ana prefers oat milk in her coffee."]);
    expect(read.memories[0]!.content.sources.map((s) => s.ref)).toEqual(read.rawMemoryIds);
    const history = (await client.callTool({ name: "memory_history", arguments: { memoryId: read.memories[0]!.memoryId } })) as CallToolResult;
    expect((history.content[0] as { text: string }).text).toContain("scripted-model");
  });
});
