import { Kafka, logLevel } from "kafkajs";
import neo4j, { type Driver } from "neo4j-driver";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { MemLedgerOptions } from "../src/app/memLedger.js";
import type { PublicMemoryEvent } from "../src/feed/publicMemoryEvent.js";
import { ensureEmbeddingModel } from "./support/embeddingModel.js";
import { runEndToEndScenario } from "./support/endToEndScenario.js";
import { startKafkaBroker, type KafkaTestBroker } from "./support/kafkaBroker.js";
import { startNeo4jServer, type Neo4jTestServer } from "./support/neo4jServer.js";
import { tempLedger } from "./support/tempLedger.js";

/**
 * The end-to-end scenario on the distributed profile. Here: a real Neo4j (graph
 * read model) and a real Kafka (job bus and event feed), started from Maven
 * artifacts; the log and the vectors stay embedded because EventStoreDB and
 * Qdrant cannot run on this machine (their adapters pass their contract suites
 * when EVENTSTORE_URL / QDRANT_URL are given). With QDRANT_URL set, this
 * harness puts the vectors in that Qdrant too.
 *
 * Against the full docker-compose stack instead (every engine a server):
 *   docker compose up -d eventstore neo4j qdrant kafka
 *   MEMLEDGER_E2E_STACK=compose npx vitest run test/endToEnd.distributed.test.ts
 */
const composeStack = process.env.MEMLEDGER_E2E_STACK === "compose";

interface Engines {
  readonly boltUrl: string;
  readonly neo4jAuth?: { username: string; password: string };
  readonly kafkaBrokers: string[];
  readonly eventStoreUrl?: string;
  readonly qdrantUrl?: string;
  /** Stops Neo4j alone, to see memledger degrade; absent against the compose stack. */
  stopNeo4j?(): Promise<void>;
  stop(): Promise<void>;
}

let engines: Engines;
let modelDir: string;
let driver: Driver;

beforeAll(async () => {
  modelDir = await ensureEmbeddingModel();
  if (composeStack) {
    engines = {
      boltUrl: process.env.NEO4J_URL ?? "bolt://localhost:7687",
      neo4jAuth: { username: process.env.NEO4J_USERNAME ?? "neo4j", password: process.env.NEO4J_PASSWORD ?? "memledger-dev-password" },
      kafkaBrokers: (process.env.MEMLEDGER_KAFKA_BROKERS ?? "localhost:9094").split(","),
      eventStoreUrl: process.env.EVENTSTORE_URL ?? "esdb://localhost:2113?tls=false",
      qdrantUrl: process.env.QDRANT_URL ?? "http://localhost:6333",
      stop: async () => undefined,
    };
  } else {
    const [neo4jServer, kafka]: [Neo4jTestServer, KafkaTestBroker] = await Promise.all([startNeo4jServer(), startKafkaBroker()]);
    let neo4jStopped: Promise<void> | undefined;
    const stopNeo4j = () => (neo4jStopped ??= neo4jServer.stop());
    engines = {
      boltUrl: neo4jServer.boltUrl,
      kafkaBrokers: kafka.brokers,
      // Qdrant cannot run here, but given a server the vectors go there too (filtered search included).
      ...(process.env.QDRANT_URL ? { qdrantUrl: process.env.QDRANT_URL } : {}),
      stopNeo4j,
      stop: async () => {
        await Promise.all([stopNeo4j(), kafka.stop()]);
      },
    };
  }
  driver = engines.neo4jAuth ? neo4j.driver(engines.boltUrl, neo4j.auth.basic(engines.neo4jAuth.username, engines.neo4jAuth.password)) : neo4j.driver(engines.boltUrl);
}, 600_000);

afterAll(async () => {
  await driver?.close();
  await engines?.stop();
}, 120_000);

/** Whether any string property of any node or relationship in Neo4j holds the text (case-insensitive). */
async function neo4jHolds(namespace: string, text: string): Promise<boolean> {
  const needle = text.toLowerCase();
  const { records } = await driver.executeQuery(
    `MATCH (n) WHERE any(k IN keys(n) WHERE n[k] IS :: STRING AND toLower(n[k]) CONTAINS $needle)
     AND any(k IN keys(n) WHERE n[k] IS :: STRING AND n[k] STARTS WITH $namespace)
     RETURN count(n) AS hits`,
    { needle, namespace },
  );
  return Number(records[0]?.get("hits") ?? 0) > 0;
}

it("create, edit, merge, archive, search, as-of search, rollback and erase with the graph on Neo4j and jobs and feed on Kafka", async () => {
  const run = randomUUID().slice(0, 8);
  const topic = `e2e.events.${run}`;
  const namespace = `e2e-${run}`;
  const options: Partial<MemLedgerOptions> = {
    defaultContext: { tenantId: "acme", actor: "user:dana" },
    embedder: { kind: "onnx", modelDir },
    graph: { kind: "neo4j", url: engines.boltUrl, ...(engines.neo4jAuth ?? {}), namespace },
    jobBus: { kind: "kafka", brokers: engines.kafkaBrokers, topicPrefix: `e2e.jobs.${run}` },
    eventRelay: { kind: "kafka", brokers: engines.kafkaBrokers, topic },
    ...(engines.eventStoreUrl ? { eventStore: { kind: "eventstoredb", url: engines.eventStoreUrl } } : {}),
    ...(engines.qdrantUrl ? { vector: { kind: "qdrant", url: engines.qdrantUrl, collectionPrefix: `e2e_${run}` } } : {}),
  };
  const t = await tempLedger(options);
  try {
    const health = await t.ledger.health(10_000);
    expect(health.engines.map((e) => `${e.role}:${e.engine}:${e.ok}`)).toEqual(
      expect.arrayContaining(["graph:neo4j:true", "jobBus:kafka:true", "vector:" + (engines.qdrantUrl ? "qdrant" : "sqlite") + ":true"]),
    );
    expect(health.status).toBe("ready");

    const publishedEvents = async (atLeast: number) => {
      const kafka = new Kafka({ clientId: "e2e-feed", brokers: engines.kafkaBrokers, logLevel: logLevel.NOTHING });
      const consumer = kafka.consumer({ groupId: `e2e-${randomUUID()}` });
      const seen: PublicMemoryEvent[] = [];
      await consumer.connect();
      try {
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({ eachMessage: async ({ message }) => void seen.push(JSON.parse(String(message.value))) });
        // The relay publishes behind the log: wait for the erasures (the last events), then for a quiet second.
        const deadline = Date.now() + 60_000;
        let lastCount = -1;
        let quietSince = Date.now();
        while (Date.now() < deadline) {
          if (seen.length !== lastCount) [lastCount, quietSince] = [seen.length, Date.now()];
          if (seen.length >= atLeast && seen.some((e) => e.type === "MemoryErased") && Date.now() - quietSince > 1_000) break;
          await new Promise((r) => setTimeout(r, 100));
        }
      } finally {
        await consumer.disconnect();
      }
      return seen;
    };

    const outcome = await runEndToEndScenario(t.ledger, t.clock, { graphHolds: (text) => neo4jHolds(namespace, text), publishedEvents, vectors: true });
    console.info(`distributed scenario steps (ms): ${outcome.steps.map((s) => `${s.step} ${s.ms}`).join(", ")}`);

    const after = await t.ledger.health(10_000);
    expect(after.projections.every((p) => p.behind === 0)).toBe(true);
    expect(after.eventRelay?.behind).toBe(0);

    if (engines.stopNeo4j) {
      // Neo4j goes away: writes go on, hybrid search answers without the graph and says so, readiness says degraded.
      await engines.stopNeo4j();
      const written = await t.ledger.memories.create({ cubeId: "travel", text: "Marco booked a table at a fado house", userId: "marco" });
      const response = await t.ledger.search({ query: "fado house", cubeIds: ["travel"], mode: "hybrid" });
      expect(response.results.map((r) => r.memory.memoryId)).toContain(written.memoryId);
      expect(response.degraded?.map((d) => d.readModel)).toEqual(["graph"]);
      const health = await t.ledger.health(2_000);
      expect(health.status).toBe("degraded");
      expect(health.engines.find((e) => e.role === "graph")).toMatchObject({ engine: "neo4j", ok: false });
      expect(health.engines.find((e) => e.role === "eventStore")?.ok).toBe(true);
    }
  } finally {
    await t.dispose();
  }
}, 300_000);
