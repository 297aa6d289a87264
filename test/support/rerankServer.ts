import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A real local HTTP server speaking the /rerank shape of Jina, Cohere-compatible
 * servers, vLLM and llama.cpp server: POST { model, query, documents, top_n } →
 * { results: [{ index, relevance_score }] }, best first (so a client that reads
 * results in order instead of by index gets it wrong). It scores by the share of
 * the query's words a document contains, a crude but honest cross-encoder
 * stand-in. Scripted failures come first: `{ status: 429, retryAfterSeconds: 1, times: 1 }`.
 */
export interface RerankServerFailure {
  readonly status?: number;
  readonly retryAfterSeconds?: number;
  readonly delayMs?: number;
  /** Answers 200 with this body instead of results. */
  readonly body?: unknown;
  readonly times?: number;
}

export interface RerankRequestBody {
  readonly model: string;
  readonly query: string;
  readonly documents: readonly string[];
  readonly top_n?: number;
  readonly [key: string]: unknown;
}

export interface RerankServer {
  /** The full endpoint, ending in /v1/rerank. */
  readonly url: string;
  readonly requests: RerankRequestBody[];
  readonly authorizations: (string | undefined)[];
  fail(...failures: RerankServerFailure[]): void;
  close(): Promise<void>;
}

const words = (text: string) => new Set(text.toLowerCase().match(/[a-z0-9]+/g) ?? []);

export function overlapScore(query: string, document: string): number {
  const q = words(query);
  const d = words(document);
  if (q.size === 0) return 0;
  let shared = 0;
  for (const w of q) if (d.has(w)) shared++;
  return shared / q.size;
}

export async function startRerankServer(): Promise<RerankServer> {
  const failures: { failure: RerankServerFailure; used: number }[] = [];
  const requests: RerankRequestBody[] = [];
  const authorizations: (string | undefined)[] = [];
  const sockets = new Set<import("node:net").Socket>();
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (chunk) => (raw += chunk));
    req.on("end", () => {
      void (async () => {
        if (req.method !== "POST" || req.url !== "/v1/rerank") {
          res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: `no route ${req.method} ${req.url}` }));
          return;
        }
        const body = JSON.parse(raw) as RerankRequestBody;
        requests.push(body);
        authorizations.push(req.headers.authorization);
        const next = failures.find((f) => f.failure.times === undefined || f.used < f.failure.times);
        if (next) {
          next.used++;
          const { status, retryAfterSeconds, delayMs, body: answer } = next.failure;
          if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
          if (answer !== undefined) {
            res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer));
            return;
          }
          if (status !== undefined) {
            res.writeHead(status, { "content-type": "application/json", ...(retryAfterSeconds !== undefined ? { "retry-after": String(retryAfterSeconds) } : {}) }).end(JSON.stringify({ error: { message: `scripted ${status}` } }));
            return;
          }
        }
        const results = body.documents
          .map((document, index) => ({ index, relevance_score: overlapScore(body.query, document) }))
          .sort((a, b) => b.relevance_score - a.relevance_score)
          .slice(0, body.top_n ?? body.documents.length);
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ model: body.model, results, usage: { total_tokens: raw.length >> 2 } }));
      })();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/rerank`,
    requests,
    authorizations,
    fail: (...more) => failures.push(...more.map((failure) => ({ failure, used: 0 }))),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
