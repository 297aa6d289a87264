import { join } from "node:path";
import { openMemLedger } from "../app/memLedger.js";
import { ConfigError, defaultEventTopic, defaultJobTopicPrefix, defaultWorkerConcurrency, type ServerConfig } from "../config.js";
import { configFromSources } from "../configFile.js";
import { redactUrl } from "../redactUrl.js";
import { buildServer } from "./buildServer.js";
import { metricsFromEnvironment } from "../metrics/metricsConfig.js";
import { startTracingFromEnvironment } from "../tracing/tracing.js";

/** `npm start`: the server on the embedded default (one data directory, no services), or on the engines configured. */
async function main(): Promise<void> {
  const config = configFromSources();
  // Traces only with an OTLP endpoint configured; metrics unless MEMLEDGER_METRICS=off (docs/operations.md).
  const tracing = await startTracingFromEnvironment();
  const metrics = metricsFromEnvironment();
  const ledger = await openMemLedger({
    ...(metrics || tracing ? { telemetry: { ...(metrics ? { metrics: metrics.metrics } : {}) } } : {}),
    dataDir: config.dataDir,
    eventStore: config.eventStore,
    jobBus: config.jobBus,
    worker: config.worker,
    ...(config.eventRelay ? { eventRelay: config.eventRelay } : {}),
    embedder: config.embedder,
    graph: config.graph,
    vector: config.vector,
    syncAdd: config.syncAdd,
    ...(config.jwt ? { jwt: config.jwt } : {}),
    ...(config.chatModel ? { chatModel: config.chatModel } : {}),
    ...(config.reranker ? { rerankerConfig: config.reranker } : {}),
    defaultContext: { tenantId: "default", actor: "system:server" },
  });
  // First start: an admin and its key, written to a file only its owner can read; the log names the file, never the key.
  const keyFile = join(config.dataDir, "admin.key");
  const bootstrap = await ledger.bootstrapAdmin(keyFile);
  const app = await buildServer(ledger, { logger: config.logger, rateLimit: config.rateLimit, corsOrigins: config.corsOrigins, keyFileHint: keyFile, ...(metrics ? { metrics } : {}) });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info(`${signal}: finishing in-flight requests, then closing the stores`);
    await app.close();
    await ledger.close();
    await tracing?.shutdown();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
  // Said even with the request log off: without it a new user cannot make a single call.
  (config.logger ? (line: string) => app.log.info(line) : (line: string) => console.log(line))(
    bootstrap.created
      ? `first start: created the admin principal "admin"; its API key is in ${keyFile} (mode 0600). Send it as Authorization: Bearer <key>`
      : `every request needs Authorization: Bearer <API key>; the first admin's key was written to ${keyFile} when it was created`,
  );
  await app.listen({ host: config.host, port: config.port });
  app.log.info(`memledger on ${ledger.engine}, data in ${config.dataDir}; OpenAPI at /openapi.json; the web viewer at http://${config.host}:${config.port}/ui (log in with the admin key)`);
  app.log.info(describeScheduler(config));
  app.log.info(describeEmbedder(config));
  app.log.info(describeChatModel(config));
  app.log.info(describeReranker(config));
  app.log.info(describeReadModels(config));
  app.log.info(`${metrics ? `metrics at /metrics (${metrics.token ? "bearer MEMLEDGER_METRICS_TOKEN required" : "open: set MEMLEDGER_METRICS_TOKEN to require a token"})` : "no metrics (MEMLEDGER_METRICS=off)"}; ${tracing ? `traces to ${redactUrl(process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? "")}` : "no traces (set OTEL_EXPORTER_OTLP_ENDPOINT)"}; API docs at /docs`);
}

/** One line an operator can check against what they meant to configure. */
function describeScheduler(config: ServerConfig): string {
  const bus = config.jobBus.kind === "kafka" ? `jobs on Kafka (${config.jobBus.brokers.join(",")}, topics ${config.jobBus.topicPrefix ?? defaultJobTopicPrefix}.*)` : "jobs in jobs.db";
  const worker = config.worker === false ? "no worker in this process (MEMLEDGER_WORKER=off)" : `worker running ${config.worker.concurrency ?? defaultWorkerConcurrency} jobs at a time`;
  const relay = config.eventRelay ? `memory events relayed to Kafka topic ${config.eventRelay.topic ?? defaultEventTopic}` : "no event relay";
  return `${bus}; ${worker}; ${relay}`;
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? `configuration error: ${error.message}` : error);
  process.exit(1);
});

function describeEmbedder(config: ServerConfig): string {
  const e = config.embedder;
  if (e.kind === "none") return "no embedder: search is BM25 + graph; for vector search run npm run fetch-model or set MEMLEDGER_EMBEDDER (docs/embeddings.md)";
  return e.kind === "onnx" ? `embeddings by the local ONNX model in ${e.modelDir}` : `embeddings by ${e.model} at ${e.baseURL}`;
}

function describeChatModel(config: ServerConfig): string {
  const c = config.chatModel;
  if (c === undefined) return "no chat model: fine extraction and model decisions answer 409 until MEMLEDGER_CHAT_MODEL_URL and MEMLEDGER_CHAT_MODEL are set (docs/llm.md)";
  return `chat model ${c.model} at ${redactUrl(c.baseURL)}${c.prices ? ` (USD ${c.prices.inputPerMillion} / ${c.prices.outputPerMillion} per million input / output tokens)` : ""}`;
}

function describeReranker(config: ServerConfig): string {
  const r = config.reranker;
  if (r === undefined) return "no reranker: search answers in fused order (MEMLEDGER_RERANKER=http or llm reranks the top N, docs/retrieval.md)";
  const by = r.kind === "http" ? `${r.model} at ${redactUrl(r.url)}` : `the chat model ${config.chatModel?.model ?? ""}`;
  return `reranker: ${by} reorders each search's fused top ${r.topN}`;
}

function describeReadModels(config: ServerConfig): string {
  const graph = config.graph.kind === "neo4j" ? `graph on Neo4j at ${redactUrl(config.graph.url)}` : "graph embedded";
  const vectors = config.embedder.kind === "none" ? "no vectors (no embedder)" : config.vector.kind === "qdrant" ? `vectors on Qdrant at ${redactUrl(config.vector.url)}` : "vectors embedded";
  return `profile ${config.profile}: ${graph}; ${vectors}; memory view and full text embedded in ${config.dataDir}/readmodels`;
}
