import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { EventRelayConfig, EventStoreConfig, JobBusConfig } from "./app/memLedger.js";
import type { GraphStoreConfig, VectorStoreConfig } from "./readModels/readModelEngines.js";
import { EmbeddingModelNameInvalid, fetchAdviceFor, onnxModelFileIn, resolveEmbeddingModelDir } from "./embedding/embeddingModelDir.js";
import type { EmbedderConfig } from "./retrieval/embedderService.js";
import { defaultSyncAddLimits, type SyncAddLimits } from "./ingestion/syncAddLimits.js";
import type { JobWorkerSettings } from "./app/jobWorkerLayer.js";
import { defaultJobLeaseMs, defaultKafkaSessionTimeoutMs } from "./jobs/leaseDefaults.js";
import type { JwtConfig } from "./governance/jwtAuthenticator.js";
import { tenantRoles, type TenantRole } from "../domain/governance/permissions.js";
import type { ChatModelConfig } from "./chatModel/chatModelConfig.js";
import { defaultRerankTopN, maxRerankTopN, type RerankerConfig } from "./reranking/rerankerConfig.js";

/** Server configuration from the environment; the embedded default needs none of it. */
export interface ServerConfig {
  readonly dataDir: string;
  readonly host: string;
  readonly port: number;
  readonly eventStore: EventStoreConfig;
  readonly logger: boolean;
  /** Where jobs wait: `jobs.db` in the data directory, or Kafka topics. */
  readonly jobBus: JobBusConfig;
  /** `false`: this process only enqueues; another process runs the jobs. */
  readonly worker: false | JobWorkerSettings;
  /** Absent: memory events are not published to Kafka. */
  readonly eventRelay?: EventRelayConfig;
  /** `none`: search is BM25 + graph only. */
  readonly embedder: EmbedderConfig;
  /** `embedded` (everything in the data directory) or `distributed` (the engines below default to servers). */
  readonly profile: Profile;
  /** The graph read model: embedded SQLite or Neo4j. */
  readonly graph: GraphStoreConfig;
  /** The vector read model (used when there is an embedder): embedded SQLite + HNSW or Qdrant. */
  readonly vector: VectorStoreConfig;
  /** The most one sync add may carry; larger ones are refused with 413 (use mode "async"). */
  readonly syncAdd: SyncAddLimits;
  /** Requests per principal per window (MEMLEDGER_RATE_LIMIT); `false`: unlimited. */
  readonly rateLimit: RateLimitSettings | false;
  /** Browser origins allowed by CORS (MEMLEDGER_CORS_ORIGINS); empty: CORS off. */
  readonly corsOrigins: readonly string[];
  /** Bearer JWTs from an OIDC identity provider, besides API keys (MEMLEDGER_OIDC_*); absent: API keys only. Passed to openMemLedger as `jwt`. */
  readonly jwt?: JwtConfig;
  /** The chat model (MEMLEDGER_CHAT_MODEL_*, docs/llm.md); absent: what needs one answers 409 ChatModelNotConfigured. */
  readonly chatModel?: ChatModelConfig;
  /** Reorders each search's fused top N (MEMLEDGER_RERANKER*, docs/retrieval.md); absent: fused order. Passed to openMemLedger as `rerankerConfig`. */
  readonly reranker?: RerankerConfig;
}

export const profiles = ["embedded", "distributed"] as const;
export type Profile = (typeof profiles)[number];

export class ConfigError extends Error {}

export const defaultJobTopicPrefix = "memledger.jobs";
export const defaultEventTopic = "memledger.memory-events";
export const defaultWorkerConcurrency = 4;

/**
 * The whole server configuration from environment variables. `MEMLEDGER_PROFILE`
 * is the one switch: `distributed` makes EventStoreDB, Neo4j, Qdrant and Kafka
 * the default engines (each still overridable by its own variable), and the
 * variables that say where those servers are become required.
 * `configFromSources` adds a configuration file underneath.
 */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const profile = oneOf(env, "MEMLEDGER_PROFILE", profiles, "embedded");
  const distributed = profile === "distributed";
  const portText = setting(env, "MEMLEDGER_PORT") ?? setting(env, "PORT") ?? "8080";
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw new ConfigError(`MEMLEDGER_PORT must be a port number (0-65535), not "${portText}"`);
  const engine = oneOf(env, "MEMLEDGER_EVENT_STORE", ["sqlite", "eventstoredb"], distributed ? "eventstoredb" : "sqlite");
  let eventStore: EventStoreConfig;
  if (engine === "sqlite") {
    const durability = oneOf(env, "MEMLEDGER_DURABILITY", ["full", "normal"], "full");
    eventStore = { kind: "sqlite", durability };
  } else {
    const url = setting(env, "EVENTSTORE_URL");
    if (!url) throw new ConfigError(`${because(env, "MEMLEDGER_EVENT_STORE", "eventstoredb")} needs EVENTSTORE_URL (e.g. esdb://localhost:2113?tls=false)`);
    if (!/^(esdb|esdb\+discover|kurrentdb|kurrentdb\+discover|kurrent|kurrent\+discover):\/\//.test(url)) {
      throw new ConfigError(`EVENTSTORE_URL must be an EventStoreDB/KurrentDB connection string (esdb://host:2113?tls=false, esdb+discover://… for a cluster), not "${url}"`);
    }
    eventStore = { kind: "eventstoredb", url };
  }
  const scheduler = schedulerFromEnv(env, distributed);
  const embedder = embedderFromEnv(env);
  return {
    profile,
    dataDir: resolve(setting(env, "MEMLEDGER_DATA_DIR") ?? "data"),
    host: setting(env, "MEMLEDGER_HOST") ?? "127.0.0.1",
    port,
    eventStore,
    logger: oneOf(env, "MEMLEDGER_LOG", ["on", "off"], "on") === "on",
    ...scheduler,
    embedder,
    graph: graphFromEnv(env, distributed),
    vector: vectorFromEnv(env, distributed, embedder),
    syncAdd: {
      maxMemories: positiveInteger(env, "MEMLEDGER_SYNC_ADD_MAX_MEMORIES", defaultSyncAddLimits.maxMemories),
      maxTextBytes: positiveInteger(env, "MEMLEDGER_SYNC_ADD_MAX_BYTES", defaultSyncAddLimits.maxTextBytes),
    },
    rateLimit: rateLimitFromEnv(env),
    corsOrigins: corsOriginsFromEnv(env),
    ...oidcEntry(env),
    ...chatModelEntry(env),
    ...rerankerEntry(env),
  };
}

function rerankerEntry(env: NodeJS.ProcessEnv): { reranker?: RerankerConfig } {
  const reranker = rerankerFromEnv(env);
  return reranker ? { reranker } : {};
}

const rerankerVariables = ["MEMLEDGER_RERANKER_URL", "MEMLEDGER_RERANKER_MODEL", "MEMLEDGER_RERANKER_API_KEY", "MEMLEDGER_RERANKER_TIMEOUT_MS", "MEMLEDGER_RERANK_TOP_N"];

/**
 * The reranker (docs/retrieval.md): `off` (default), `http` (a /rerank endpoint:
 * vLLM, llama.cpp server, Jina, Cohere-compatible), `llm` (the chat model scores
 * the candidates), or `onnx`, refused with the reason: no package we can
 * install ships a cross-encoder model.
 */
export function rerankerFromEnv(env: NodeJS.ProcessEnv): RerankerConfig | undefined {
  const kind = oneOf(env, "MEMLEDGER_RERANKER", ["off", "http", "llm", "onnx"], "off");
  const set = rerankerVariables.filter((name) => setting(env, name) !== undefined);
  if (kind === "off") {
    if (set.length > 0) throw new ConfigError(`${set.join(", ")} ${set.length > 1 ? "are" : "is"} set but MEMLEDGER_RERANKER is off: set MEMLEDGER_RERANKER=http or llm to rerank, or unset them`);
    return undefined;
  }
  if (kind === "onnx") {
    throw new ConfigError("MEMLEDGER_RERANKER=onnx is not available: no package this project can install ships a cross-encoder model (docs/retrieval.md says what was tried); serve one behind a /rerank endpoint and set MEMLEDGER_RERANKER=http, or use MEMLEDGER_RERANKER=llm");
  }
  const topN = positiveInteger(env, "MEMLEDGER_RERANK_TOP_N", defaultRerankTopN);
  if (topN > maxRerankTopN) throw new ConfigError(`MEMLEDGER_RERANK_TOP_N=${topN} is more than ${maxRerankTopN}: every candidate costs the reranker a pass, so one search would take seconds; give at most ${maxRerankTopN}, or unset it for the default (${defaultRerankTopN})`);
  if (kind === "llm") {
    const stray = ["MEMLEDGER_RERANKER_URL", "MEMLEDGER_RERANKER_MODEL", "MEMLEDGER_RERANKER_API_KEY", "MEMLEDGER_RERANKER_TIMEOUT_MS"].filter((name) => setting(env, name) !== undefined);
    if (stray.length > 0) throw new ConfigError(`${stray.join(", ")} ${stray.length > 1 ? "are" : "is"} for MEMLEDGER_RERANKER=http; the llm reranker uses the chat model (MEMLEDGER_CHAT_MODEL_*): unset them or set MEMLEDGER_RERANKER=http`);
    if (setting(env, "MEMLEDGER_CHAT_MODEL_URL") === undefined) throw new ConfigError("MEMLEDGER_RERANKER=llm needs a chat model: set MEMLEDGER_CHAT_MODEL_URL and MEMLEDGER_CHAT_MODEL (docs/llm.md), or use MEMLEDGER_RERANKER=http");
    return { kind: "llm", topN };
  }
  const url = setting(env, "MEMLEDGER_RERANKER_URL");
  if (url === undefined) throw new ConfigError("MEMLEDGER_RERANKER=http needs MEMLEDGER_RERANKER_URL: the full rerank endpoint, e.g. http://localhost:8000/v1/rerank (vLLM) or http://localhost:8080/v1/rerank (llama.cpp server)");
  if (!/^https?:\/\/[^/]+/.test(url)) throw new ConfigError(`MEMLEDGER_RERANKER_URL must be an http:// or https:// URL of the rerank endpoint (e.g. http://localhost:8000/v1/rerank), not "${url}"`);
  const model = setting(env, "MEMLEDGER_RERANKER_MODEL");
  if (model === undefined) throw new ConfigError("MEMLEDGER_RERANKER=http needs MEMLEDGER_RERANKER_MODEL: the reranking model the endpoint serves (e.g. BAAI/bge-reranker-v2-m3)");
  const apiKey = setting(env, "MEMLEDGER_RERANKER_API_KEY");
  const timeoutMs = setting(env, "MEMLEDGER_RERANKER_TIMEOUT_MS") === undefined ? undefined : positiveInteger(env, "MEMLEDGER_RERANKER_TIMEOUT_MS", 10_000);
  return { kind: "http", url, model, topN, ...(apiKey !== undefined ? { apiKey } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}) };
}

function chatModelEntry(env: NodeJS.ProcessEnv): { chatModel?: ChatModelConfig } {
  const chatModel = chatModelFromEnv(env);
  return chatModel ? { chatModel } : {};
}

const chatModelVariables = [
  "MEMLEDGER_CHAT_MODEL_URL",
  "MEMLEDGER_CHAT_MODEL",
  "MEMLEDGER_CHAT_MODEL_API_KEY",
  "MEMLEDGER_CHAT_MODEL_TIMEOUT_MS",
  "MEMLEDGER_CHAT_MODEL_PRICE_INPUT",
  "MEMLEDGER_CHAT_MODEL_PRICE_OUTPUT",
] as const;

/**
 * The chat model (docs/llm.md): any endpoint that speaks OpenAI's chat
 * completions (OpenAI, Ollama, vLLM, llama.cpp server). Unset: no model, and
 * what needs one says so. A partial setting is an error, not a model that
 * fails on first use.
 */
export function chatModelFromEnv(env: NodeJS.ProcessEnv): ChatModelConfig | undefined {
  const baseURL = setting(env, "MEMLEDGER_CHAT_MODEL_URL");
  if (baseURL === undefined) {
    const stray = chatModelVariables.filter((name) => setting(env, name) !== undefined);
    if (stray.length > 0) throw new ConfigError(`${stray.join(", ")} ${stray.length > 1 ? "are" : "is"} set but MEMLEDGER_CHAT_MODEL_URL is not: set it to the endpoint's base URL (e.g. http://localhost:11434/v1 for Ollama, https://api.openai.com/v1), or unset them`);
    return undefined;
  }
  if (!/^https?:\/\/[^/]+/.test(baseURL)) throw new ConfigError(`MEMLEDGER_CHAT_MODEL_URL must be an http:// or https:// base URL ending in /v1 (e.g. http://localhost:11434/v1), not "${baseURL}"`);
  const model = setting(env, "MEMLEDGER_CHAT_MODEL");
  if (model === undefined) throw new ConfigError("MEMLEDGER_CHAT_MODEL_URL needs MEMLEDGER_CHAT_MODEL: the model name the endpoint knows (e.g. gpt-4o-mini, or qwen2.5:7b-instruct on Ollama)");
  const apiKey = setting(env, "MEMLEDGER_CHAT_MODEL_API_KEY");
  const timeoutMs = setting(env, "MEMLEDGER_CHAT_MODEL_TIMEOUT_MS") === undefined ? undefined : positiveInteger(env, "MEMLEDGER_CHAT_MODEL_TIMEOUT_MS", 60_000);
  const input = pricePerMillion(env, "MEMLEDGER_CHAT_MODEL_PRICE_INPUT");
  const output = pricePerMillion(env, "MEMLEDGER_CHAT_MODEL_PRICE_OUTPUT");
  if ((input === undefined) !== (output === undefined)) {
    throw new ConfigError("MEMLEDGER_CHAT_MODEL_PRICE_INPUT and MEMLEDGER_CHAT_MODEL_PRICE_OUTPUT go together (USD per million input and output tokens, e.g. 0.15 and 0.6): set both, or neither to count tokens without a cost");
  }
  return {
    kind: "openai",
    baseURL,
    model,
    ...(apiKey !== undefined ? { apiKey } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(input !== undefined && output !== undefined ? { prices: { inputPerMillion: input, outputPerMillion: output } } : {}),
  };
}

function pricePerMillion(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const value = setting(env, name);
  if (value === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(value)) throw new ConfigError(`${name} must be a price in USD per million tokens (e.g. 0.15), not "${value}"`);
  return Number(value);
}


function oidcEntry(env: NodeJS.ProcessEnv): { jwt?: JwtConfig } {
  const jwt = oidcFromEnv(env);
  return jwt ? { jwt } : {};
}

const oidcVariables = [
  "MEMLEDGER_OIDC_ISSUER",
  "MEMLEDGER_OIDC_AUDIENCE",
  "MEMLEDGER_OIDC_JWKS_URL",
  "MEMLEDGER_OIDC_PUBLIC_KEY",
  "MEMLEDGER_OIDC_TENANT",
  "MEMLEDGER_OIDC_TENANT_CLAIM",
  "MEMLEDGER_OIDC_ROLE_MAP",
  "MEMLEDGER_OIDC_CLOCK_TOLERANCE_S",
] as const;

/**
 * OIDC bearer tokens (docs/governance.md): the issuer and audience a token must
 * name, where its signing keys are (a JWKS URL, or one PEM public key), which
 * tenant it acts in, and how the provider's roles map to memledger roles.
 * Unset: the server accepts API keys only. A partial setting is an error, not a
 * silently weaker check.
 */
export function oidcFromEnv(env: NodeJS.ProcessEnv): JwtConfig | undefined {
  const issuer = setting(env, "MEMLEDGER_OIDC_ISSUER");
  if (issuer === undefined) {
    const stray = oidcVariables.filter((name) => setting(env, name) !== undefined);
    if (stray.length > 0) throw new ConfigError(`${stray.join(", ")} ${stray.length > 1 ? "are" : "is"} set but MEMLEDGER_OIDC_ISSUER is not: set the issuer (e.g. https://login.example.com/realms/acme) to accept OIDC tokens, or unset them`);
    return undefined;
  }
  const audience = setting(env, "MEMLEDGER_OIDC_AUDIENCE");
  if (audience === undefined) throw new ConfigError("MEMLEDGER_OIDC_ISSUER needs MEMLEDGER_OIDC_AUDIENCE: the audience (client id) a token must be issued for, e.g. memledger");
  const jwksUrl = setting(env, "MEMLEDGER_OIDC_JWKS_URL");
  const pem = setting(env, "MEMLEDGER_OIDC_PUBLIC_KEY");
  if (jwksUrl !== undefined && pem !== undefined) throw new ConfigError("give either MEMLEDGER_OIDC_JWKS_URL or MEMLEDGER_OIDC_PUBLIC_KEY, not both: the signing keys come from one place");
  if (jwksUrl === undefined && pem === undefined) {
    throw new ConfigError("MEMLEDGER_OIDC_ISSUER needs the provider's signing keys: MEMLEDGER_OIDC_JWKS_URL (e.g. https://login.example.com/.well-known/jwks.json) or MEMLEDGER_OIDC_PUBLIC_KEY (a PEM public key)");
  }
  if (jwksUrl !== undefined && !/^https?:\/\/[^/]+/.test(jwksUrl)) throw new ConfigError(`MEMLEDGER_OIDC_JWKS_URL must be an http:// or https:// URL, not "${jwksUrl}"`);
  // An environment variable often carries the PEM on one line with \n escapes.
  const publicKey = pem?.replace(/\\n/g, "\n");
  if (publicKey !== undefined && !/-----BEGIN PUBLIC KEY-----[\s\S]+-----END PUBLIC KEY-----/.test(publicKey)) {
    throw new ConfigError("MEMLEDGER_OIDC_PUBLIC_KEY must be a PEM public key (-----BEGIN PUBLIC KEY----- ... -----END PUBLIC KEY-----); line breaks may be written as \\n");
  }
  const fixedTenant = setting(env, "MEMLEDGER_OIDC_TENANT");
  const tenantClaim = setting(env, "MEMLEDGER_OIDC_TENANT_CLAIM");
  if (fixedTenant !== undefined && tenantClaim !== undefined) {
    throw new ConfigError("give either MEMLEDGER_OIDC_TENANT (every token acts in that tenant) or MEMLEDGER_OIDC_TENANT_CLAIM (the claim naming the tenant), not both");
  }
  const tolerance = setting(env, "MEMLEDGER_OIDC_CLOCK_TOLERANCE_S");
  if (tolerance !== undefined && (!/^\d+$/.test(tolerance) || Number(tolerance) > 3_600)) {
    throw new ConfigError(`MEMLEDGER_OIDC_CLOCK_TOLERANCE_S must be a whole number of seconds from 0 to 3600, not "${tolerance}"; unset it for the default (30)`);
  }
  const roleMap = oidcRoleMap(setting(env, "MEMLEDGER_OIDC_ROLE_MAP"));
  return {
    issuer,
    audience,
    ...(jwksUrl !== undefined ? { jwksUrl } : {}),
    ...(publicKey !== undefined ? { publicKey } : {}),
    tenant: tenantClaim !== undefined ? { claim: tenantClaim } : { fixed: fixedTenant ?? "default" },
    ...(roleMap !== undefined ? { roleMap } : {}),
    ...(tolerance !== undefined ? { clockToleranceSeconds: Number(tolerance) } : {}),
  };
}

/** `idpRole=memledgerRole,...`; a memledger role that does not exist is an error, not a role nobody gets. */
function oidcRoleMap(value: string | undefined): Readonly<Record<string, TenantRole>> | undefined {
  if (value === undefined) return undefined;
  const map: Record<string, TenantRole> = {};
  for (const entry of value.split(",").map((e) => e.trim()).filter((e) => e !== "")) {
    const at = entry.indexOf("=");
    const from = entry.slice(0, at).trim();
    const to = entry.slice(at + 1).trim();
    if (at <= 0 || to === "") throw new ConfigError(`MEMLEDGER_OIDC_ROLE_MAP: "${entry}" is not idpRole=memledgerRole (e.g. memledger-admins=tenant_admin,staff=reader)`);
    if (!(tenantRoles as readonly string[]).includes(to)) throw new ConfigError(`MEMLEDGER_OIDC_ROLE_MAP: "${to}" is not a memledger role; use ${tenantRoles.join(", ")}`);
    map[from] = to as TenantRole;
  }
  if (Object.keys(map).length === 0) throw new ConfigError("MEMLEDGER_OIDC_ROLE_MAP lists no role; give idpRole=memledgerRole pairs (e.g. memledger-admins=tenant_admin) or unset it");
  return map;
}

/** At most `max` requests per principal in each window of `timeWindowMs` (src/server/rateLimiting.ts enforces it). */
export interface RateLimitSettings {
  readonly max: number;
  readonly timeWindowMs: number;
}

export const defaultRateLimit: RateLimitSettings = { max: 600, timeWindowMs: 60_000 };

const windowUnitMs: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** MEMLEDGER_RATE_LIMIT: `<max>/<window>` such as `600/1m` or `100/10s`, or `off`. */
export function rateLimitFromEnv(env: NodeJS.ProcessEnv): RateLimitSettings | false {
  const value = setting(env, "MEMLEDGER_RATE_LIMIT");
  if (value === undefined) return defaultRateLimit;
  if (value === "off") return false;
  const match = /^(\d+)\/(\d+)(ms|s|m|h)$/.exec(value);
  const max = Number(match?.[1]);
  const timeWindowMs = Number(match?.[2]) * (windowUnitMs[match?.[3] ?? ""] ?? Number.NaN);
  if (match === null || max < 1 || !Number.isSafeInteger(max) || timeWindowMs < 1 || !Number.isSafeInteger(timeWindowMs)) {
    throw new ConfigError(`MEMLEDGER_RATE_LIMIT must be <requests>/<window> with a window in ms, s, m or h (e.g. 600/1m or 100/10s), or off, not "${value}"; unset it for the default (600/1m per principal)`);
  }
  return { max, timeWindowMs };
}

/** MEMLEDGER_CORS_ORIGINS: comma-separated `https://app.example.com` origins, or `*`; unset: CORS off. */
export function corsOriginsFromEnv(env: NodeJS.ProcessEnv): readonly string[] {
  const value = setting(env, "MEMLEDGER_CORS_ORIGINS");
  if (value === undefined) return [];
  const origins = value
    .split(",")
    .map((o) => o.trim())
    .filter((o) => o !== "");
  const example = "e.g. https://app.example.com,http://localhost:5173";
  if (origins.includes("*") && origins.length > 1) throw new ConfigError(`MEMLEDGER_CORS_ORIGINS: "*" already allows every origin; give it alone, or list the origins (${example})`);
  for (const origin of origins) {
    if (origin === "*") continue;
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    // Browsers send the bare origin (scheme://host[:port]); anything else would never match.
    if (parsed === undefined || (parsed.protocol !== "http:" && parsed.protocol !== "https:") || parsed.origin !== origin) {
      const hint = parsed !== undefined && (parsed.protocol === "http:" || parsed.protocol === "https:") ? ` (did you mean ${parsed.origin}?)` : "";
      throw new ConfigError(`MEMLEDGER_CORS_ORIGINS: "${origin}" is not an http(s) origin without a path${hint}; give comma-separated origins (${example}) or *`);
    }
  }
  return origins;
}

/** How a variable got its value, for error messages: "MEMLEDGER_PROFILE=distributed" when the profile chose it. */
function because(env: NodeJS.ProcessEnv, name: string, value: string): string {
  return setting(env, name) === undefined ? `MEMLEDGER_PROFILE=distributed (${name}=${value})` : `${name}=${value}`;
}

function graphFromEnv(env: NodeJS.ProcessEnv, distributed: boolean): GraphStoreConfig {
  const kind = oneOf(env, "MEMLEDGER_GRAPH_STORE", ["sqlite", "neo4j"], distributed ? "neo4j" : "sqlite");
  if (kind === "sqlite") return { kind: "sqlite" };
  const url = setting(env, "NEO4J_URL");
  if (!url) throw new ConfigError(`${because(env, "MEMLEDGER_GRAPH_STORE", "neo4j")} needs NEO4J_URL (e.g. bolt://localhost:7687 or neo4j://cluster:7687)`);
  if (!/^(bolt|neo4j)(\+s|\+ssc)?:\/\/[^/]+/.test(url)) throw new ConfigError(`NEO4J_URL must be a bolt:// or neo4j:// URL (e.g. bolt://localhost:7687), not "${url}"`);
  const username = setting(env, "NEO4J_USERNAME");
  const password = setting(env, "NEO4J_PASSWORD");
  if ((username === undefined) !== (password === undefined)) throw new ConfigError("NEO4J_USERNAME and NEO4J_PASSWORD go together: set both, or neither for a server without authentication");
  const database = setting(env, "NEO4J_DATABASE");
  const namespace = setting(env, "MEMLEDGER_GRAPH_NAMESPACE");
  if (namespace !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(namespace)) throw new ConfigError(`MEMLEDGER_GRAPH_NAMESPACE="${namespace}" may hold letters, digits, '_' and '-' only (at most 64)`);
  return { kind: "neo4j", url, ...(username && password ? { username, password } : {}), ...(database ? { database } : {}), ...(namespace ? { namespace } : {}) };
}

function vectorFromEnv(env: NodeJS.ProcessEnv, distributed: boolean, embedder: EmbedderConfig): VectorStoreConfig {
  const explicit = setting(env, "MEMLEDGER_VECTOR_STORE");
  const kind = oneOf(env, "MEMLEDGER_VECTOR_STORE", ["sqlite", "qdrant"], distributed ? "qdrant" : "sqlite");
  if (kind === "sqlite") return { kind: "sqlite" };
  if (embedder.kind === "none" && explicit !== undefined) {
    throw new ConfigError("MEMLEDGER_VECTOR_STORE=qdrant needs an embedder to make the vectors: set MEMLEDGER_EMBEDDER (onnx with a fetched model, or openai), see docs/embeddings.md");
  }
  const url = setting(env, "QDRANT_URL");
  // Without an embedder there are no vectors, so the profile's Qdrant default asks for nothing.
  if (embedder.kind === "none") return { kind: "sqlite" };
  if (!url) throw new ConfigError(`${because(env, "MEMLEDGER_VECTOR_STORE", "qdrant")} needs QDRANT_URL (e.g. http://localhost:6333)`);
  if (!/^https?:\/\/[^/]+/.test(url)) throw new ConfigError(`QDRANT_URL must be an http:// or https:// URL (e.g. http://localhost:6333), not "${url}"`);
  const apiKey = setting(env, "QDRANT_API_KEY");
  const prefix = setting(env, "MEMLEDGER_QDRANT_COLLECTION_PREFIX");
  if (prefix !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(prefix)) throw new ConfigError(`MEMLEDGER_QDRANT_COLLECTION_PREFIX="${prefix}" may hold letters, digits, '_' and '-' only (at most 64)`);
  return { kind: "qdrant", url, ...(apiKey ? { apiKey } : {}), ...(prefix ? { collectionPrefix: prefix } : {}) };
}

/** The local model's directory, with a misnamed MEMLEDGER_EMBEDDING_MODEL reported as a configuration error. */
function embeddingModelDirFromEnv(env: NodeJS.ProcessEnv): string {
  try {
    return resolveEmbeddingModelDir(env);
  } catch (error) {
    if (error instanceof EmbeddingModelNameInvalid) throw new ConfigError(error.message);
    throw error;
  }
}

/**
 * The embedder. `auto` (the default) uses the local ONNX model when its
 * directory holds one (`npm run fetch-model` puts it there) and
 * runs without vector search otherwise, so the server starts with no setup.
 */
export function embedderFromEnv(env: NodeJS.ProcessEnv): EmbedderConfig {
  const kind = oneOf(env, "MEMLEDGER_EMBEDDER", ["auto", "onnx", "openai", "none"], "auto");
  const modelDir = embeddingModelDirFromEnv(env);
  const hasModel = onnxModelFileIn(modelDir) !== undefined;
  if (kind === "none" || (kind === "auto" && !hasModel)) return { kind: "none" };
  if (kind === "auto" || kind === "onnx") {
    if (!hasModel) {
      throw new ConfigError(`MEMLEDGER_EMBEDDER=onnx found no model.onnx in ${modelDir}: run ${fetchAdviceFor(modelDir)}, or set MEMLEDGER_EMBEDDING_MODEL_DIR to a directory with model.onnx and tokenizer.json`);
    }
    const idleMs = embedderIdleMsFromEnv(env);
    return { kind: "onnx", modelDir, ...(idleMs !== undefined ? { idleMs } : {}) };
  }
  const baseURL = setting(env, "MEMLEDGER_OPENAI_BASE_URL");
  const model = setting(env, "MEMLEDGER_EMBEDDING_MODEL");
  if (!baseURL || !model) {
    throw new ConfigError("MEMLEDGER_EMBEDDER=openai needs MEMLEDGER_OPENAI_BASE_URL (e.g. http://localhost:11434/v1 for Ollama) and MEMLEDGER_EMBEDDING_MODEL (e.g. nomic-embed-text)");
  }
  const apiKey = setting(env, "MEMLEDGER_OPENAI_API_KEY");
  const dimensions = setting(env, "MEMLEDGER_EMBEDDING_DIMENSIONS") === undefined ? undefined : positiveInteger(env, "MEMLEDGER_EMBEDDING_DIMENSIONS", 0);
  return { kind: "openai", baseURL, model, ...(apiKey ? { apiKey } : {}), ...(dimensions ? { dimensions } : {}) };
}

/** MEMLEDGER_EMBEDDER_IDLE_MS: how long the embedding worker (and its memory) outlives the last request; `off` keeps it. */
function embedderIdleMsFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const value = setting(env, "MEMLEDGER_EMBEDDER_IDLE_MS");
  if (value === undefined) return undefined;
  if (value === "off") return Number.POSITIVE_INFINITY;
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new ConfigError(`MEMLEDGER_EMBEDDER_IDLE_MS must be a whole number of milliseconds of at least 1, or off to keep the embedding worker loaded, not "${value}"; unset it for the default (5000)`);
  }
  return Number(value);
}

/** The job bus, the worker and the Kafka event relay. */
function schedulerFromEnv(env: NodeJS.ProcessEnv, distributed: boolean): Pick<ServerConfig, "jobBus" | "worker" | "eventRelay"> {
  const busKind = oneOf(env, "MEMLEDGER_JOB_BUS", ["sqlite", "kafka"], distributed ? "kafka" : "sqlite");
  const relayKind = oneOf(env, "MEMLEDGER_EVENT_RELAY", ["off", "kafka"], distributed ? "kafka" : "off");
  const workerSwitch = oneOf(env, "MEMLEDGER_WORKER", ["on", "off"], "on");
  const concurrency = positiveInteger(env, "MEMLEDGER_WORKER_CONCURRENCY", defaultWorkerConcurrency);
  const workerName = setting(env, "MEMLEDGER_WORKER_NAME");
  if (workerName !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(workerName)) {
    throw new ConfigError(`MEMLEDGER_WORKER_NAME="${workerName}" may hold letters, digits, '.', '_' and '-' only (at most 64); unset it for the default (worker)`);
  }
  const topicPrefix = topicName(env, "MEMLEDGER_KAFKA_TOPIC_PREFIX", defaultJobTopicPrefix);
  const eventTopic = topicName(env, "MEMLEDGER_EVENT_TOPIC", defaultEventTopic);

  const users = [busKind === "kafka" ? because(env, "MEMLEDGER_JOB_BUS", "kafka") : undefined, relayKind === "kafka" ? because(env, "MEMLEDGER_EVENT_RELAY", "kafka") : undefined].filter((u) => u !== undefined);
  // A broker list nobody uses is still checked: a typo there is always a mistake.
  const brokers = kafkaBrokers(env, users);

  return {
    jobBus: busKind === "kafka" ? { kind: "kafka", brokers, topicPrefix, ...kafkaSessionFromEnv(env) } : { kind: "sqlite", ...leaseFromEnv(env) },
    worker: workerSwitch === "off" ? false : { concurrency, ...(workerName !== undefined ? { name: workerName } : {}) },
    ...(relayKind === "kafka" ? { eventRelay: { kind: "kafka", brokers, topic: eventTopic } } : {}),
  };
}

/** The embedded queue's lease and heartbeat; unset means the bus's defaults (5 s, a fifth of the lease). */
function leaseFromEnv(env: NodeJS.ProcessEnv): { leaseMs?: number; heartbeatMs?: number } {
  if (setting(env, "MEMLEDGER_KAFKA_SESSION_TIMEOUT_MS") !== undefined) {
    throw new ConfigError("MEMLEDGER_KAFKA_SESSION_TIMEOUT_MS applies to the Kafka job bus only; with the embedded queue set MEMLEDGER_JOB_LEASE_MS (and MEMLEDGER_JOB_HEARTBEAT_MS) instead");
  }
  const leaseMs = setting(env, "MEMLEDGER_JOB_LEASE_MS") === undefined ? undefined : positiveInteger(env, "MEMLEDGER_JOB_LEASE_MS", defaultJobLeaseMs);
  const heartbeatMs = setting(env, "MEMLEDGER_JOB_HEARTBEAT_MS") === undefined ? undefined : positiveInteger(env, "MEMLEDGER_JOB_HEARTBEAT_MS", 0);
  if (leaseMs !== undefined && leaseMs < 100) throw new ConfigError(`MEMLEDGER_JOB_LEASE_MS=${leaseMs} is too short to renew in time; give at least 100 (milliseconds), or unset it for the default (${defaultJobLeaseMs})`);
  const lease = leaseMs ?? defaultJobLeaseMs;
  // At most half the lease: a worker must be able to miss a heartbeat and still hold its jobs.
  if (heartbeatMs !== undefined && heartbeatMs * 2 > lease) {
    throw new ConfigError(`MEMLEDGER_JOB_HEARTBEAT_MS=${heartbeatMs} must be at most half of the job lease (${lease} ms); a fifth (${Math.floor(lease / 5)}) is the default`);
  }
  return { ...(leaseMs !== undefined ? { leaseMs } : {}), ...(heartbeatMs !== undefined ? { heartbeatMs } : {}) };
}

/** How long a Kafka worker may miss heartbeats before its partitions (and jobs) go to another worker. */
function kafkaSessionFromEnv(env: NodeJS.ProcessEnv): { sessionTimeoutMs?: number } {
  for (const name of ["MEMLEDGER_JOB_LEASE_MS", "MEMLEDGER_JOB_HEARTBEAT_MS"]) {
    if (setting(env, name) !== undefined) throw new ConfigError(`${name} applies to the embedded job queue only; with MEMLEDGER_JOB_BUS=kafka set MEMLEDGER_KAFKA_SESSION_TIMEOUT_MS instead`);
  }
  if (setting(env, "MEMLEDGER_KAFKA_SESSION_TIMEOUT_MS") === undefined) return {};
  const sessionTimeoutMs = positiveInteger(env, "MEMLEDGER_KAFKA_SESSION_TIMEOUT_MS", defaultKafkaSessionTimeoutMs);
  // Kafka brokers refuse sessions shorter than group.min.session.timeout.ms, 6 s unless changed.
  if (sessionTimeoutMs < 1_000) {
    throw new ConfigError(`MEMLEDGER_KAFKA_SESSION_TIMEOUT_MS=${sessionTimeoutMs} is too short for Kafka; brokers refuse sessions below their group.min.session.timeout.ms (6000 unless changed); unset it for the default (${defaultKafkaSessionTimeoutMs})`);
  }
  return { sessionTimeoutMs };
}

/** The variable's value, trimmed; blank counts as unset (compose files often write `VAR=`). */
function setting(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

function oneOf<T extends string>(env: NodeJS.ProcessEnv, name: string, allowed: readonly T[], fallback: T): T {
  const value = setting(env, name);
  if (value === undefined) return fallback;
  const match = allowed.find((a) => a === value);
  if (match === undefined) throw new ConfigError(`${name} must be ${allowed.join(" or ")}, not "${value}"; unset it for the default (${fallback})`);
  return match;
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = setting(env, name);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new ConfigError(`${name} must be a whole number of at least 1, not "${value}"; unset it for the default (${fallback})`);
  }
  return Number(value);
}

/** Kafka accepts letters, digits, '.', '_' and '-' in topic names, 249 characters at most. */
function topicName(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const value = setting(env, name);
  if (value === undefined) return fallback;
  // The job bus appends suffixes such as `.memory.ingest` and `._delayed` to the prefix, so both get the same headroom.
  if (!/^[A-Za-z0-9._-]+$/.test(value) || value.length > 200 || /^\.+$/.test(value)) {
    throw new ConfigError(`${name}="${value}" is not a usable Kafka topic name; use letters, digits, '.', '_' and '-' only (at most 200 characters), e.g. ${fallback}`);
  }
  return value;
}

/** `host:port,host:port`; required as soon as anything uses Kafka. */
function kafkaBrokers(env: NodeJS.ProcessEnv, users: readonly string[]): string[] {
  const value = setting(env, "MEMLEDGER_KAFKA_BROKERS");
  if (value === undefined) {
    if (users.length === 0) return [];
    throw new ConfigError(`${users.join(" and ")} ${users.length > 1 ? "need" : "needs"} MEMLEDGER_KAFKA_BROKERS: set it to the comma-separated host:port list of your Kafka brokers (e.g. localhost:9092)`);
  }
  const brokers = value
    .split(",")
    .map((b) => b.trim())
    .filter((b) => b !== "");
  const bad = brokers.filter((b) => !isHostPort(b));
  if (brokers.length === 0 || bad.length > 0) {
    throw new ConfigError(`MEMLEDGER_KAFKA_BROKERS must be a comma-separated list of host:port (e.g. kafka-1:9092,kafka-2:9092); ${bad.length > 0 ? `"${bad.join('", "')}" ${bad.length > 1 ? "are" : "is"} not host:port` : "it lists no broker"}`);
  }
  return brokers;
}

function isHostPort(broker: string): boolean {
  const at = broker.lastIndexOf(":");
  if (at <= 0) return false;
  const host = broker.slice(0, at);
  const port = broker.slice(at + 1);
  // Bracketed IPv6 literals ([::1]:9092) are the only hosts with a colon.
  const hostOk = /^\[[0-9A-Fa-f:.]+\]$/.test(host) || /^[A-Za-z0-9._-]+$/.test(host);
  return hostOk && /^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535;
}
