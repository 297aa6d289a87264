import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A real local HTTP server that speaks OpenAI's chat completions
 * (`POST /v1/chat/completions`, plain and SSE streaming with usage), answering
 * from a script. For end-to-end tests of anything that calls a chat model:
 *
 *     const server = await startChatCompletionsServer({
 *       rules: [
 *         { status: 429, retryAfterSeconds: 1, times: 1 },           // first call: rate limited
 *         { schemaName: "facts", json: { facts: ["lives in Lyon"] } }, // structured answers by schema name
 *         { user: /weather/i, text: "Sunny." },                       // plain answers by the last user message
 *         { text: (request) => `echo: ${lastUserText(request)}` },    // anything else
 *       ],
 *     });
 *     const model = openAiChatModel({ baseURL: server.url, model: "scripted" });
 *     ... server.requests  // every request body received, in order
 *     await server.close();
 *
 * Rules are tried in order; the first whose `user` / `schemaName` match wins
 * (a rule without either matches everything). `times: n` retires a rule after
 * n uses, so "fail once, then succeed" is two rules. No rule matching is a 500
 * naming the last user message, so a gap in the script is visible.
 *
 * Also: `refuseJsonSchema: true` answers 400 to `response_format: json_schema`
 * (like endpoints that only know json_object); `delayMs` on a rule answers
 * late (for timeouts); `usage` on a rule overrides the token counts, which are
 * otherwise about a token per 4 characters, like real tokenizers on English.
 */

export interface ChatCompletionsRequestBody {
  readonly model: string;
  readonly messages: readonly { readonly role: string; readonly content: unknown }[];
  readonly stream?: boolean;
  readonly stream_options?: { readonly include_usage?: boolean };
  readonly response_format?: { readonly type: string; readonly json_schema?: { readonly name: string; readonly schema: unknown; readonly strict?: boolean } };
  readonly [key: string]: unknown;
}

export interface ScriptRule {
  /** Matches the last user message's text (a string: contained in it). */
  readonly user?: string | RegExp;
  /** Matches `response_format.json_schema.name`, or in JSON mode the schema name quoted in a system message. */
  readonly schemaName?: string;
  /** Answer text, or a function of the request. */
  readonly text?: string | ((request: ChatCompletionsRequestBody) => string);
  /** Answer as JSON (stringified); ignored when `text` is given. */
  readonly json?: unknown;
  /** An error answer instead (429, 500, 400 ...), with an OpenAI-style error body. */
  readonly status?: number;
  /** Sent as Retry-After with an error status. */
  readonly retryAfterSeconds?: number;
  /** Wait this long before answering (a timeout test sets it above the client's timeout). */
  readonly delayMs?: number;
  /** Uses before the rule retires; default: forever. */
  readonly times?: number;
  readonly usage?: { readonly promptTokens: number; readonly completionTokens: number };
}

export interface ChatCompletionsServerOptions {
  readonly rules?: readonly ScriptRule[];
  /** Answers 400 to a json_schema response format, as endpoints without structured outputs do. */
  readonly refuseJsonSchema?: boolean;
  /** The model name answers carry; default: whatever the request asked for. */
  readonly modelName?: string;
}

export interface ChatCompletionsServer {
  /** The base URL to give a client, ending in /v1. */
  readonly url: string;
  /** Every request body received, in order (errors and refusals included). */
  readonly requests: ChatCompletionsRequestBody[];
  /** Adds rules after the current ones. */
  addRules(...rules: ScriptRule[]): void;
  close(): Promise<void>;
}

/** The text of the last user message (text parts joined). */
export function lastUserText(request: ChatCompletionsRequestBody): string {
  const last = [...request.messages].reverse().find((m) => m.role === "user");
  return contentText(last?.content);
}

function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((p: { type?: string; text?: string }) => (p?.type === "text" ? (p.text ?? "") : "")).join("");
  return "";
}

function schemaNameOf(request: ChatCompletionsRequestBody): string | undefined {
  if (request.response_format?.type === "json_schema") return request.response_format.json_schema?.name;
  if (request.response_format?.type === "json_object") {
    for (const m of request.messages) {
      const named = /\(named "([^"]+)"\)/.exec(m.role === "system" ? contentText(m.content) : "");
      if (named) return named[1];
    }
  }
  return undefined;
}

const approxTokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));

export async function startChatCompletionsServer(options: ChatCompletionsServerOptions = {}): Promise<ChatCompletionsServer> {
  const rules: { rule: ScriptRule; used: number }[] = (options.rules ?? []).map((rule) => ({ rule, used: 0 }));
  const requests: ChatCompletionsRequestBody[] = [];
  const sockets = new Set<import("node:net").Socket>();
  let nextId = 1;

  const server = createServer((req, res) => {
    void handle(req, res).catch((error) => {
      if (!res.headersSent) sendError(res, 500, `chat completions test server failed: ${error instanceof Error ? error.message : String(error)}`);
      else res.end();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== "POST" || !req.url?.endsWith("/chat/completions")) return sendError(res, 404, `no route ${req.method} ${req.url}; this server answers POST /v1/chat/completions`);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as ChatCompletionsRequestBody;
    requests.push(body);
    if (options.refuseJsonSchema && body.response_format?.type === "json_schema") {
      return sendError(res, 400, "response_format json_schema is not supported by this server; use json_object", "invalid_request_error");
    }
    const user = lastUserText(body);
    const schemaName = schemaNameOf(body);
    const entry = rules.find(({ rule, used }) => {
      if (rule.times !== undefined && used >= rule.times) return false;
      if (rule.schemaName !== undefined && rule.schemaName !== schemaName) return false;
      if (rule.user !== undefined && !(typeof rule.user === "string" ? user.includes(rule.user) : rule.user.test(user))) return false;
      return true;
    });
    if (entry === undefined) return sendError(res, 500, `no scripted rule matches (schema ${schemaName ?? "none"}, last user message "${user.slice(0, 200)}")`);
    entry.used++;
    const rule = entry.rule;
    if (rule.delayMs) await new Promise((resolve) => setTimeout(resolve, rule.delayMs));
    if (res.destroyed) return;
    if (rule.status !== undefined && rule.status >= 400) {
      if (rule.retryAfterSeconds !== undefined) res.setHeader("retry-after", String(rule.retryAfterSeconds));
      return sendError(res, rule.status, rule.status === 429 ? "rate limited (scripted)" : `scripted failure ${rule.status}`, rule.status === 429 ? "rate_limit_exceeded" : "server_error");
    }
    const text = typeof rule.text === "function" ? rule.text(body) : (rule.text ?? (rule.json !== undefined ? JSON.stringify(rule.json) : ""));
    const promptText = body.messages.map((m) => contentText(m.content)).join("\n");
    const usage = {
      prompt_tokens: rule.usage?.promptTokens ?? approxTokens(promptText),
      completion_tokens: rule.usage?.completionTokens ?? approxTokens(text),
    };
    const model = options.modelName ?? body.model;
    const id = `chatcmpl-${nextId++}`;
    const created = Math.floor(Date.now() / 1000);
    if (body.stream) {
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
      const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
      const chunk = (delta: Record<string, unknown>, finish: string | null) => ({ id, object: "chat.completion.chunk", created, model, choices: [{ index: 0, delta, finish_reason: finish }] });
      send(chunk({ role: "assistant", content: "" }, null));
      // A few characters per event, like a real model's token stream.
      for (let at = 0; at < text.length; at += 5) send(chunk({ content: text.slice(at, at + 5) }, null));
      send(chunk({}, "stop"));
      if (body.stream_options?.include_usage) send({ id, object: "chat.completion.chunk", created, model, choices: [], usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } });
      res.end("data: [DONE]\n\n");
      return;
    }
    sendJson(res, 200, {
      id,
      object: "chat.completion",
      created,
      model,
      choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    });
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    addRules: (...more) => rules.push(...more.map((rule) => ({ rule, used: 0 }))),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, status: number, message: string, type = "server_error"): void {
  sendJson(res, status, { error: { message, type, code: null, param: null } });
}
