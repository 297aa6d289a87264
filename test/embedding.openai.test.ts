import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { embedderContract } from "../src/embedding/embedder.contract.js";
import type { Embedder } from "../src/embedding/embedderPort.js";
import { EmbedderUnavailable, EmbeddingFailed } from "../src/embedding/embeddingErrors.js";
import { openOnnxEmbedder } from "../src/embedding/onnxEmbedder.js";
import { openOpenAiEmbedder } from "../src/embedding/openAiEmbedder.js";
import { ensureEmbeddingModel } from "./support/embeddingModel.js";

/**
 * Real engine: the OpenAI adapter over real HTTP against a minimal OpenAI-compatible
 * server on 127.0.0.1 whose vectors come from the real all-MiniLM-L6-v2 ONNX model.
 */
const servedModel = "all-MiniLM-L6-v2";
const modelThatRejectsInput = "rejects-input";
const modelThatIsOverloaded = "overloaded";
// Real servers do not all normalise; scaling proves the adapter does.
const unnormalisedScale = 3;

interface EmbeddingServer {
  readonly baseURL: string;
  readonly backend: Embedder;
  close(): Promise<void>;
}

let serverStarted: Promise<EmbeddingServer> | undefined;
const embeddingServer = (): Promise<EmbeddingServer> => (serverStarted ??= startEmbeddingServer());

afterAll(async () => {
  if (serverStarted) await (await serverStarted).close();
});

embedderContract("OpenAI-compatible HTTP (local server backed by all-MiniLM-L6-v2)", async () =>
  openOpenAiEmbedder({ baseURL: (await embeddingServer()).baseURL, model: servedModel, batchSize: 3 }),
);

describe("OpenAI-compatible embedder over HTTP", () => {
  let server: EmbeddingServer;
  beforeAll(async () => {
    server = await embeddingServer();
  }, 600_000);

  it("learns dimensions from a probe and names the model", async () => {
    const embedder = await openOpenAiEmbedder({ baseURL: server.baseURL, model: servedModel });
    expect(embedder.dimensions).toBe(384);
    expect(embedder.modelId).toBe(`openai-compatible:${servedModel}`);
  });

  it("returns the same vectors as the model running locally", async () => {
    const embedder = await openOpenAiEmbedder({ baseURL: server.baseURL, model: servedModel, dimensions: 384 });
    const texts = ["Local and remote agree.", "JSON carries float32 values exactly."];
    const [remote, local] = [await embedder.embed(texts), await server.backend.embed(texts)];
    remote.forEach((vector, i) => vector.forEach((value, d) => expect(Math.abs(value - local[i]![d]!)).toBeLessThan(1e-6)));
  });

  it("rejects responses whose width differs from the configured dimensions", async () => {
    const embedder = await openOpenAiEmbedder({ baseURL: server.baseURL, model: servedModel, dimensions: 768 });
    await expect(embedder.embed(["wrong width"])).rejects.toBeInstanceOf(EmbeddingFailed);
  });

  it("reports a rejected request as EmbeddingFailed", async () => {
    const embedder = await openOpenAiEmbedder({ baseURL: server.baseURL, model: modelThatRejectsInput, dimensions: 384 });
    const embedding = embedder.embed(["anything"]);
    await expect(embedding).rejects.toBeInstanceOf(EmbeddingFailed);
    await expect(embedding).rejects.toThrow(/HTTP 400/);
  });

  it("reports a server error as EmbedderUnavailable", async () => {
    const embedder = await openOpenAiEmbedder({ baseURL: server.baseURL, model: modelThatIsOverloaded, dimensions: 384, maxRetries: 0 });
    const embedding = embedder.embed(["anything"]);
    await expect(embedding).rejects.toBeInstanceOf(EmbedderUnavailable);
    await expect(embedding).rejects.toThrow(/HTTP 503/);
  });
});

describe("OpenAI-compatible embedder with no server listening", () => {
  it("fails to open with EmbedderUnavailable naming the base URL", async () => {
    const baseURL = `http://127.0.0.1:${await closedLoopbackPort()}/v1`;
    const opening = openOpenAiEmbedder({ baseURL, model: servedModel, maxRetries: 0 });
    await expect(opening).rejects.toBeInstanceOf(EmbedderUnavailable);
    await expect(opening).rejects.toThrow(baseURL);
  });

  it("fails to embed with EmbedderUnavailable when dimensions were given up front", async () => {
    const baseURL = `http://127.0.0.1:${await closedLoopbackPort()}/v1`;
    const embedder = await openOpenAiEmbedder({ baseURL, model: servedModel, dimensions: 384, maxRetries: 0 });
    const embedding = embedder.embed(["hello"]);
    await expect(embedding).rejects.toBeInstanceOf(EmbedderUnavailable);
    await expect(embedding).rejects.toThrow(baseURL);
  });
});

async function startEmbeddingServer(): Promise<EmbeddingServer> {
  const backend = await openOnnxEmbedder({ modelDir: await ensureEmbeddingModel() });
  const server = createServer((request, response) => {
    handle(backend, request, response).catch((error: unknown) => sendJson(response, 500, { error: { message: String(error) } }));
  });
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    backend,
    close: async () => {
      await closeServer(server);
      await backend.close();
    },
  };
}

/** POST /v1/embeddings as the OpenAI API defines it, with two model names that simulate failures. */
async function handle(backend: Embedder, request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (request.method !== "POST" || request.url !== "/v1/embeddings") return sendJson(response, 404, { error: { message: `no route ${request.method} ${request.url}` } });
  const body = JSON.parse(await readBody(request)) as { model: string; input: string | string[]; encoding_format?: string };
  if (body.model === modelThatRejectsInput) return sendJson(response, 400, { error: { message: "input rejected", type: "invalid_request_error" } });
  if (body.model === modelThatIsOverloaded) return sendJson(response, 503, { error: { message: "overloaded", type: "server_error" } });
  if (body.model !== servedModel) return sendJson(response, 404, { error: { message: `model ${body.model} not found` } });
  if (body.encoding_format !== "float") return sendJson(response, 400, { error: { message: "this server only speaks encoding_format float" } });
  const inputs = typeof body.input === "string" ? [body.input] : body.input;
  if (inputs.some((input) => input === "")) return sendJson(response, 400, { error: { message: "input must not be empty, as OpenAI enforces" } });
  const vectors = await backend.embed(inputs);
  const data = vectors.map((vector, index) => ({ object: "embedding", index, embedding: Array.from(vector, (value) => value * unnormalisedScale) }));
  // The API pairs vectors with inputs by `index`; answering in reverse checks the adapter honours that.
  sendJson(response, 200, { object: "list", data: data.reverse(), model: servedModel, usage: { prompt_tokens: 0, total_tokens: 0 } });
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => done(Buffer.concat(chunks).toString("utf8")));
    request.on("error", fail);
  });
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((closed, fail) => server.close((error) => (error ? fail(error) : closed())));
}

/** A loopback port with nothing listening: bind one, then let it go. */
async function closedLoopbackPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((ready) => probe.listen(0, "127.0.0.1", ready));
  const { port } = probe.address() as AddressInfo;
  await closeServer(probe);
  return port;
}
