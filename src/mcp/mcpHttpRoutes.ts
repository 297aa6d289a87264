import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import type { LedgerApi, RequestOptions } from "../app/ledgerApi.js";
import { createMemledgerMcpServer } from "./memledgerMcpServer.js";
import { McpSessions, defaultMcpSessionLimits, type McpSessionLimits } from "./mcpSessions.js";
import type { LedgerOfCall } from "./mcpTools.js";

export const mcpPath = "/mcp";

/** The request's principal, carried to the tools through the transport's auth info. */
const ledgerKey = "memledgerLedger";

const ledgerOfCall: LedgerOfCall = (extra) => {
  const ledger = extra.authInfo?.extra?.[ledgerKey] as LedgerApi<RequestOptions> | undefined;
  // Only reachable if a request bypassed authentication: refuse rather than act as nobody.
  if (ledger === undefined) throw new Error("this MCP request carries no authenticated principal");
  return ledger;
};

const ownerOf = (request: FastifyRequest): string => {
  const acting = request.acting!;
  return [acting.tenantId, acting.principalId, ...(acting.onBehalfOf !== undefined ? [acting.onBehalfOf] : [])].map(encodeURIComponent).join("/");
};

/** A JSON-RPC error answered before the MCP transport is involved (no session, unknown session). */
const rpcError = (reply: FastifyReply, status: number, message: string) =>
  reply.status(status).header("content-type", "application/json").send({ jsonrpc: "2.0", error: { code: -32000, message }, id: null });

/**
 * MCP over Streamable HTTP at `/mcp` (POST messages, GET the server's event
 * stream, DELETE to end the session), authenticated like every route: the
 * bearer key's principal is `request.ledger`, handed to the tools per request,
 * so a revoked key or grant takes effect on the next call. A session belongs to
 * the principal that opened it. Hidden from the OpenAPI document: JSON-RPC over
 * one path is described by the MCP specification, not by OpenAPI.
 */
export function mcpHttpRoutes(app: FastifyInstance, limits: McpSessionLimits = defaultMcpSessionLimits): void {
  const sessions = new McpSessions(limits);
  // Before the server stops listening: an open GET event stream would otherwise hold the close.
  app.addHook("preClose", async () => sessions.closeAll());

  const handle = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const owner = ownerOf(request);
    const header = request.headers["mcp-session-id"];
    const sessionId = typeof header === "string" && header !== "" ? header : undefined;
    let transport: StreamableHTTPServerTransport;
    if (sessionId !== undefined) {
      const session = sessions.find(sessionId, owner);
      if (session === undefined) return void rpcError(reply, 404, `no MCP session ${sessionId} (it ended, expired or belongs to someone else): initialize a new one`);
      transport = session.transport;
    } else if (request.method === "POST" && isInitializeRequest(request.body)) {
      const server = createMemledgerMcpServer(ledgerOfCall);
      const created: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id): void => sessions.add(id, { transport: created, server, owner, lastUsed: Date.now() }),
      });
      created.onclose = () => {
        if (created.sessionId !== undefined) sessions.forget(created.sessionId);
      };
      await server.connect(created);
      transport = created;
    } else {
      return void rpcError(reply, 400, "no Mcp-Session-Id header: send an initialize request first and then its session id with every request");
    }
    // The transport writes the answer itself (JSON or an event stream); Fastify steps aside.
    reply.hijack();
    const raw = Object.assign(request.raw, { auth: { token: "", clientId: owner, scopes: [...(request.acting?.scopes ?? [])], extra: { [ledgerKey]: request.ledger } } });
    try {
      await transport.handleRequest(raw, reply.raw, request.method === "POST" ? request.body : undefined);
    } catch (error) {
      // Fastify no longer answers for a hijacked reply: say what failed rather than leave the client hanging.
      request.log.error({ err: error }, "MCP request failed");
      if (!reply.raw.headersSent) {
        reply.raw.writeHead(500, { "content-type": "application/json" });
        reply.raw.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32603, message: "the MCP request failed inside the server; see its log" }, id: null }));
      } else reply.raw.end();
    }
  };

  const options = { schema: { hide: true } };
  app.post(mcpPath, options, handle);
  app.get(mcpPath, options, handle);
  app.delete(mcpPath, options, handle);
}
