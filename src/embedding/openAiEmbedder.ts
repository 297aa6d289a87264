import OpenAI, { APIConnectionError, APIError } from "openai";
import type { Embedder } from "./embedderPort.js";
import { EmbedderUnavailable, EmbeddingFailed, describeCause } from "./embeddingErrors.js";
import { normaliseInPlace } from "./vectorMath.js";

export interface OpenAiEmbedderOptions {
  /** The API root, e.g. `http://localhost:11434/v1` (Ollama), `http://localhost:8000/v1` (vLLM), `http://localhost:8080/v1` (TEI). */
  readonly baseURL: string;
  /** Sent as a bearer token; local servers usually need none. */
  readonly apiKey?: string;
  /** The model name the server knows, e.g. `text-embedding-3-small` or `nomic-embed-text`. */
  readonly model: string;
  /**
   * Expected vector width. When given, every response is checked against it and opening makes no request.
   * When omitted, opening sends one probe request to learn it, so `dimensions` is valid from the start.
   */
  readonly dimensions?: number;
  /** Texts per request. */
  readonly batchSize?: number;
  /** Retries for connection errors, 408/409/429 and 5xx, with the SDK's backoff. */
  readonly maxRetries?: number;
  readonly timeoutMs?: number;
}

// OpenAI rejects empty strings as input; a lone space embeds the same "no content" and keeps the contract that "" works.
const emptyTextStandIn = " ";

/** An Embedder backed by any server that speaks the OpenAI embeddings API (OpenAI, Ollama, vLLM, TEI, LocalAI). */
export async function openOpenAiEmbedder(options: OpenAiEmbedderOptions): Promise<Embedder> {
  const batchSize = options.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const client = new OpenAI({
    baseURL: options.baseURL,
    apiKey: options.apiKey ?? "no-key", // the SDK refuses to start without one
    maxRetries: options.maxRetries ?? 2,
    timeout: options.timeoutMs ?? 60_000,
  });
  const where = `OpenAI-compatible embedding server ${options.baseURL} (model ${options.model})`;

  async function request(texts: readonly string[], expectedDimensions: number | undefined): Promise<Float32Array[]> {
    let response: OpenAI.CreateEmbeddingResponse;
    try {
      response = await client.embeddings.create({
        model: options.model,
        input: texts.map((text) => (text === "" ? emptyTextStandIn : text)),
        encoding_format: "float",
      });
    } catch (cause) {
      throw asEmbeddingError(cause, where, texts.length);
    }
    const data = Array.isArray(response?.data) ? response.data : [];
    if (data.length !== texts.length) {
      throw new EmbeddingFailed(`${where} returned ${data.length} embeddings for ${texts.length} texts; check that the server supports batch input`);
    }
    // The API pairs vectors with inputs by index, not by position in the list.
    const ordered = [...data].sort((a, b) => a.index - b.index);
    return ordered.map((item, position) => {
      const width = expectedDimensions ?? ordered[0]!.embedding.length;
      if (item.index !== position || !Array.isArray(item.embedding) || item.embedding.length !== width || width === 0) {
        throw new EmbeddingFailed(
          `${where} returned a malformed embedding at index ${item.index} (${Array.isArray(item.embedding) ? item.embedding.length : "no"} values, expected ${width}); check the model name and dimensions`,
        );
      }
      return normaliseInPlace(Float32Array.from(item.embedding));
    });
  }

  const dimensions = options.dimensions ?? (await request(["dimension probe"], undefined))[0]!.length;
  let closed = false;
  return {
    modelId: `openai-compatible:${options.model}`,
    dimensions,
    async embed(texts) {
      if (closed) throw new EmbedderUnavailable(`embedder for ${where} was closed; open a new one with openOpenAiEmbedder`);
      const vectors: Float32Array[] = [];
      for (let start = 0; start < texts.length; start += batchSize) {
        vectors.push(...(await request(texts.slice(start, start + batchSize), dimensions)));
      }
      return vectors;
    },
    async close() {
      closed = true; // the SDK holds no connection we must release
    },
  };
}

/**
 * Unavailable: we could not reach the server or it cannot serve us now (connection, auth, unknown model, rate limit, 5xx).
 * Failed: the server answered but rejected this input (400, 413, 422 and other client errors).
 */
function asEmbeddingError(cause: unknown, where: string, textCount: number): EmbedderUnavailable | EmbeddingFailed {
  if (cause instanceof APIConnectionError) {
    return new EmbedderUnavailable(`${where} is unreachable (${describeCause(cause)}): start the server or fix baseURL`, { cause });
  }
  if (cause instanceof APIError && cause.status !== undefined) {
    const status = cause.status;
    const detail = `HTTP ${status}: ${cause.message}`;
    if (status === 401 || status === 403) return new EmbedderUnavailable(`${where} refused our credentials (${detail}); check apiKey`, { cause });
    if (status === 404) return new EmbedderUnavailable(`${where} has no such model or endpoint (${detail}); check model and that baseURL ends in /v1`, { cause });
    if (status === 429 || status >= 500) return new EmbedderUnavailable(`${where} cannot serve right now (${detail}); retry later`, { cause });
    return new EmbeddingFailed(`${where} rejected a request of ${textCount} texts (${detail}); the texts may be too long for the model`, { cause });
  }
  return new EmbeddingFailed(`${where} failed to embed ${textCount} texts: ${describeCause(cause)}`, { cause });
}
