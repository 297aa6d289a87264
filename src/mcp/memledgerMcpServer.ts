import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { LedgerApi, RequestOptions } from "../app/ledgerApi.js";
import { registerConversationTools } from "./conversationTools.js";
import { registerMemoryResources } from "./mcpResources.js";
import { registerMemoryTools, type LedgerOfCall } from "./mcpTools.js";

/** What the server tells a model about itself when a client connects. */
const instructions = [
  "memledger is a long-term memory with history. Memories live in cubes (list_cubes).",
  "Before answering from memory, search_memories; before add_memory, search so you do not store a duplicate.",
  "When a remembered fact changes, edit_memory (or archive_memory when it no longer holds) instead of adding a contradicting memory: every change is kept in memory_history and can be undone with revert_memory.",
  "Reads can look into the past: asOfTime on search_memories and get_memory.",
].join(" ");

export const mcpServerName = "memledger";

/**
 * The MCP server over a principal's LedgerApi: an in-process `ledger.as(principal)`,
 * the HTTP client, or (over Streamable HTTP) the ledger of each request. A thin
 * adapter: every tool is one facade call, so the policy gate, the read audit and
 * event provenance are the same as for REST and the CLI.
 */
export function createMemledgerMcpServer(ledger: LedgerApi<RequestOptions> | LedgerOfCall, version = "0.1.0"): McpServer {
  const ledgerOf: LedgerOfCall = typeof ledger === "function" ? ledger : () => ledger;
  const server = new McpServer({ name: mcpServerName, version }, { instructions, capabilities: { tools: {}, resources: {} } });
  registerMemoryTools(server, ledgerOf);
  registerConversationTools(server, ledgerOf);
  registerMemoryResources(server, ledgerOf);
  return server;
}
