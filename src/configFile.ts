import { readFileSync } from "node:fs";
import { ConfigError, configFromEnv, type ServerConfig } from "./config.js";

/**
 * The configuration file (`MEMLEDGER_CONFIG=/etc/memledger.json`): the same
 * settings as the environment variables, grouped, so one file can describe a
 * whole deployment and be checked into a deployment repository. Environment
 * variables win over the file, so a secret can stay out of it
 * (`NEO4J_PASSWORD`, `QDRANT_API_KEY`).
 *
 * The file is turned into variables and validated by `configFromEnv`, so both
 * sources obey exactly the same rules; an error about a value that came from
 * the file says which key and file it came from. JSON rather than YAML: no
 * parser to add, and every value has an unambiguous type.
 */
const fileKeys: Readonly<Record<string, string>> = {
  profile: "MEMLEDGER_PROFILE",
  dataDir: "MEMLEDGER_DATA_DIR",
  host: "MEMLEDGER_HOST",
  port: "MEMLEDGER_PORT",
  log: "MEMLEDGER_LOG",
  "eventStore.kind": "MEMLEDGER_EVENT_STORE",
  "eventStore.url": "EVENTSTORE_URL",
  "eventStore.durability": "MEMLEDGER_DURABILITY",
  "graph.kind": "MEMLEDGER_GRAPH_STORE",
  "graph.url": "NEO4J_URL",
  "graph.username": "NEO4J_USERNAME",
  "graph.password": "NEO4J_PASSWORD",
  "graph.database": "NEO4J_DATABASE",
  "graph.namespace": "MEMLEDGER_GRAPH_NAMESPACE",
  "vector.kind": "MEMLEDGER_VECTOR_STORE",
  "vector.url": "QDRANT_URL",
  "vector.apiKey": "QDRANT_API_KEY",
  "vector.collectionPrefix": "MEMLEDGER_QDRANT_COLLECTION_PREFIX",
  "kafka.brokers": "MEMLEDGER_KAFKA_BROKERS",
  "jobBus.kind": "MEMLEDGER_JOB_BUS",
  "jobBus.topicPrefix": "MEMLEDGER_KAFKA_TOPIC_PREFIX",
  "jobBus.leaseMs": "MEMLEDGER_JOB_LEASE_MS",
  "jobBus.heartbeatMs": "MEMLEDGER_JOB_HEARTBEAT_MS",
  "jobBus.sessionTimeoutMs": "MEMLEDGER_KAFKA_SESSION_TIMEOUT_MS",
  "eventRelay.kind": "MEMLEDGER_EVENT_RELAY",
  "eventRelay.topic": "MEMLEDGER_EVENT_TOPIC",
  "worker.enabled": "MEMLEDGER_WORKER",
  "worker.concurrency": "MEMLEDGER_WORKER_CONCURRENCY",
  "worker.name": "MEMLEDGER_WORKER_NAME",
  "embedder.kind": "MEMLEDGER_EMBEDDER",
  "embedder.modelDir": "MEMLEDGER_EMBEDDING_MODEL_DIR",
  "embedder.baseUrl": "MEMLEDGER_OPENAI_BASE_URL",
  "embedder.model": "MEMLEDGER_EMBEDDING_MODEL",
  "embedder.apiKey": "MEMLEDGER_OPENAI_API_KEY",
  "embedder.dimensions": "MEMLEDGER_EMBEDDING_DIMENSIONS",
  rateLimit: "MEMLEDGER_RATE_LIMIT",
  "cors.origins": "MEMLEDGER_CORS_ORIGINS",
  "chatModel.url": "MEMLEDGER_CHAT_MODEL_URL",
  "chatModel.model": "MEMLEDGER_CHAT_MODEL",
  "chatModel.apiKey": "MEMLEDGER_CHAT_MODEL_API_KEY",
  "chatModel.timeoutMs": "MEMLEDGER_CHAT_MODEL_TIMEOUT_MS",
  "chatModel.priceInput": "MEMLEDGER_CHAT_MODEL_PRICE_INPUT",
  "chatModel.priceOutput": "MEMLEDGER_CHAT_MODEL_PRICE_OUTPUT",
  "reranker.kind": "MEMLEDGER_RERANKER",
  "reranker.url": "MEMLEDGER_RERANKER_URL",
  "reranker.model": "MEMLEDGER_RERANKER_MODEL",
  "reranker.apiKey": "MEMLEDGER_RERANKER_API_KEY",
  "reranker.timeoutMs": "MEMLEDGER_RERANKER_TIMEOUT_MS",
  "reranker.topN": "MEMLEDGER_RERANK_TOP_N",
};

export const configFileKeys: readonly string[] = Object.keys(fileKeys);

/** The server configuration from `MEMLEDGER_CONFIG` (if set) overlaid by the environment. */
export function configFromSources(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const path = env.MEMLEDGER_CONFIG?.trim();
  if (!path) return configFromEnv(env);
  const fromFile = variablesFromFile(path);
  const merged: NodeJS.ProcessEnv = { ...fromFile.variables };
  for (const [name, value] of Object.entries(env)) if (value !== undefined && value.trim() !== "") merged[name] = value;
  try {
    return configFromEnv(merged);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const blamed = [...fromFile.keyOf].filter(([name]) => error.message.includes(name) && (env[name] === undefined || env[name]!.trim() === ""));
    if (blamed.length === 0) throw error;
    throw new ConfigError(`${error.message} (${blamed.map(([name, key]) => `${name} is "${key}" in ${path}`).join("; ")})`);
  }
}

/** Reads the file into variables, refusing anything it cannot place exactly. */
export function variablesFromFile(path: string): { variables: Record<string, string>; keyOf: Map<string, string> } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(`MEMLEDGER_CONFIG=${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}); fix the path or unset MEMLEDGER_CONFIG`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (!isPlainObject(parsed)) throw new ConfigError(`${path} must hold one JSON object such as {"profile": "distributed", "graph": {"url": "bolt://neo4j:7687"}}`);
  const variables: Record<string, string> = {};
  const keyOf = new Map<string, string>();
  const visit = (object: Record<string, unknown>, prefix: string) => {
    for (const [key, value] of Object.entries(object)) {
      const path_ = prefix === "" ? key : `${prefix}.${key}`;
      if (isPlainObject(value)) {
        visit(value, path_);
        continue;
      }
      const name = fileKeys[path_];
      if (name === undefined) {
        const groups = [...new Set(configFileKeys.map((k) => k.split(".")[0]))];
        const siblings = configFileKeys.filter((k) => k.startsWith(`${prefix}.`) || (prefix === "" && !k.includes(".")));
        throw new ConfigError(`${path}: unknown key "${path_}"; known ${prefix === "" ? `top-level keys and groups: ${groups.join(", ")}` : `keys of "${prefix}": ${siblings.join(", ")}`}`);
      }
      variables[name] = fileValue(path, path_, value);
      keyOf.set(name, path_);
    }
  };
  visit(parsed, "");
  return { variables, keyOf };
}

function fileValue(file: string, key: string, value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value === "boolean") {
    if (key === "worker.enabled") return value ? "on" : "off";
    if (key === "log") return value ? "on" : "off";
  }
  const lists: Readonly<Record<string, string>> = { "kafka.brokers": "give a list of host:port strings", "cors.origins": "give a list of origins such as https://app.example.com" };
  if (Array.isArray(value) && lists[key] !== undefined && value.every((b) => typeof b === "string")) return value.join(",");
  throw new ConfigError(`${file}: "${key}" has a value of the wrong type (${JSON.stringify(value)}); ${lists[key] ?? "give a string or a number"}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
