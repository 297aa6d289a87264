import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { EventRelayConfig, EventStoreConfig, JobBusConfig } from "./app/memLedger.js";
import { resolveEmbeddingModelDir } from "./embedding/embeddingModelDir.js";
import type { EmbedderConfig } from "./retrieval/embedderService.js";
import type { JobWorkerSettings } from "./scheduler/jobWorkerLayer.js";

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
}

export class ConfigError extends Error {}

export const defaultJobTopicPrefix = "memledger.jobs";
export const defaultEventTopic = "memledger.memory-events";
export const defaultWorkerConcurrency = 4;

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const port = Number(env.MEMLEDGER_PORT ?? env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`MEMLEDGER_PORT=${env.MEMLEDGER_PORT} is not a port number`);
  const engine = env.MEMLEDGER_EVENT_STORE ?? "sqlite";
  let eventStore: EventStoreConfig;
  if (engine === "sqlite") {
    const durability = env.MEMLEDGER_DURABILITY ?? "full";
    if (durability !== "full" && durability !== "normal") throw new ConfigError(`MEMLEDGER_DURABILITY must be full or normal, not ${durability}`);
    eventStore = { kind: "sqlite", durability };
  } else if (engine === "eventstoredb") {
    if (!env.EVENTSTORE_URL) throw new ConfigError("MEMLEDGER_EVENT_STORE=eventstoredb needs EVENTSTORE_URL (e.g. esdb://localhost:2113?tls=false)");
    eventStore = { kind: "eventstoredb", url: env.EVENTSTORE_URL };
  } else {
    throw new ConfigError(`MEMLEDGER_EVENT_STORE must be sqlite or eventstoredb, not ${engine}`);
  }
  const scheduler = schedulerFromEnv(env);
  return {
    dataDir: resolve(env.MEMLEDGER_DATA_DIR ?? "data"),
    host: env.MEMLEDGER_HOST ?? "127.0.0.1",
    port,
    eventStore,
    logger: env.MEMLEDGER_LOG !== "off",
    ...scheduler,
    embedder: embedderFromEnv(env),
  };
}

/**
 * The embedder. `auto` (the default) uses the local ONNX model when its
 * directory holds one (scripts/fetch-embedding-model.sh puts it there) and
 * runs without vector search otherwise, so the server starts with no setup.
 */
export function embedderFromEnv(env: NodeJS.ProcessEnv): EmbedderConfig {
  const kind = oneOf(env, "MEMLEDGER_EMBEDDER", ["auto", "onnx", "openai", "none"], "auto");
  const modelDir = resolveEmbeddingModelDir(env);
  const hasModel = existsSync(join(modelDir, "model.onnx")) || existsSync(join(modelDir, "onnx", "model.onnx"));
  if (kind === "none" || (kind === "auto" && !hasModel)) return { kind: "none" };
  if (kind === "auto" || kind === "onnx") {
    if (!hasModel) {
      throw new ConfigError(`MEMLEDGER_EMBEDDER=onnx found no model.onnx in ${modelDir}: run scripts/fetch-embedding-model.sh, or set MEMLEDGER_EMBEDDING_MODEL_DIR to a directory with model.onnx and tokenizer.json`);
    }
    return { kind: "onnx", modelDir };
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

/** The job bus, the worker and the Kafka event relay. */
function schedulerFromEnv(env: NodeJS.ProcessEnv): Pick<ServerConfig, "jobBus" | "worker" | "eventRelay"> {
  const busKind = oneOf(env, "MEMLEDGER_JOB_BUS", ["sqlite", "kafka"], "sqlite");
  const relayKind = oneOf(env, "MEMLEDGER_EVENT_RELAY", ["off", "kafka"], "off");
  const workerSwitch = oneOf(env, "MEMLEDGER_WORKER", ["on", "off"], "on");
  const concurrency = positiveInteger(env, "MEMLEDGER_WORKER_CONCURRENCY", defaultWorkerConcurrency);
  const topicPrefix = topicName(env, "MEMLEDGER_KAFKA_TOPIC_PREFIX", defaultJobTopicPrefix);
  const eventTopic = topicName(env, "MEMLEDGER_EVENT_TOPIC", defaultEventTopic);

  const users = [busKind === "kafka" ? "MEMLEDGER_JOB_BUS=kafka" : undefined, relayKind === "kafka" ? "MEMLEDGER_EVENT_RELAY=kafka" : undefined].filter((u) => u !== undefined);
  // A broker list nobody uses is still checked: a typo there is always a mistake.
  const brokers = kafkaBrokers(env, users);

  return {
    jobBus: busKind === "kafka" ? { kind: "kafka", brokers, topicPrefix } : { kind: "sqlite" },
    worker: workerSwitch === "off" ? false : { concurrency },
    ...(relayKind === "kafka" ? { eventRelay: { kind: "kafka", brokers, topic: eventTopic } } : {}),
  };
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
