import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, configFromEnv } from "../src/config.js";
import { configFromSources } from "../src/configFile.js";

/** The ConfigError message configFromEnv throws for this environment. */
function failure(env: NodeJS.ProcessEnv): string {
  try {
    configFromEnv(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error("expected a ConfigError, but the configuration was accepted");
}

describe("server configuration from the environment", () => {
  it("needs nothing: embedded store, jobs in jobs.db, a worker running 4 jobs at a time, no relay, no embedder without a model", () => {
    expect(configFromEnv({ MEMLEDGER_EMBEDDING_MODEL_DIR: "/nonexistent/model" })).toEqual({
      profile: "embedded",
      graph: { kind: "sqlite" },
      vector: { kind: "sqlite" },
      dataDir: resolve("data"),
      host: "127.0.0.1",
      port: 8080,
      eventStore: { kind: "sqlite", durability: "full" },
      logger: true,
      jobBus: { kind: "sqlite" },
      worker: { concurrency: 4 },
      embedder: { kind: "none" },
      syncAdd: { maxMemories: 200, maxTextBytes: 524_288 },
      rateLimit: { max: 600, timeWindowMs: 60_000 },
      corsOrigins: [],
    });
  });

  it("hardening #11: reads the sync add limits, and names the variable when one is not a positive whole number", () => {
    expect(configFromEnv({ MEMLEDGER_EMBEDDING_MODEL_DIR: "/nonexistent/model", MEMLEDGER_SYNC_ADD_MAX_MEMORIES: "50", MEMLEDGER_SYNC_ADD_MAX_BYTES: "65536" }).syncAdd).toEqual({ maxMemories: 50, maxTextBytes: 65_536 });
    expect(() => configFromEnv({ MEMLEDGER_EMBEDDING_MODEL_DIR: "/nonexistent/model", MEMLEDGER_SYNC_ADD_MAX_MEMORIES: "lots" })).toThrow(/MEMLEDGER_SYNC_ADD_MAX_MEMORIES must be a whole number/);
  });

  it("uses the local ONNX model when its directory holds one (auto), and says how to get one when onnx is asked for", () => {
    const modelDir = mkdtempSync(join(tmpdir(), "memledger-model-"));
    writeFileSync(join(modelDir, "model.onnx"), "");
    expect(configFromEnv({ MEMLEDGER_EMBEDDING_MODEL_DIR: modelDir }).embedder).toEqual({ kind: "onnx", modelDir });
    expect(configFromEnv({ MEMLEDGER_EMBEDDING_MODEL_DIR: modelDir, MEMLEDGER_EMBEDDER: "none" }).embedder).toEqual({ kind: "none" });
    expect(() => configFromEnv({ MEMLEDGER_EMBEDDER: "onnx", MEMLEDGER_EMBEDDING_MODEL_DIR: "/nonexistent/model" })).toThrow(/npm run fetch-model/);
  });

  it("configures an OpenAI-compatible embedder by base URL and model, and names what is missing", () => {
    const config = configFromEnv({ MEMLEDGER_EMBEDDER: "openai", MEMLEDGER_OPENAI_BASE_URL: "http://localhost:11434/v1", MEMLEDGER_EMBEDDING_MODEL: "nomic-embed-text" });
    expect(config.embedder).toEqual({ kind: "openai", baseURL: "http://localhost:11434/v1", model: "nomic-embed-text" });
    expect(() => configFromEnv({ MEMLEDGER_EMBEDDER: "openai" })).toThrow(/MEMLEDGER_OPENAI_BASE_URL/);
  });

  it("puts jobs on Kafka with the brokers and the default topic prefix", () => {
    const config = configFromEnv({ MEMLEDGER_JOB_BUS: "kafka", MEMLEDGER_KAFKA_BROKERS: "kafka-1:9092, kafka-2:9093" });
    expect(config.jobBus).toEqual({ kind: "kafka", brokers: ["kafka-1:9092", "kafka-2:9093"], topicPrefix: "memledger.jobs" });
    expect(config.eventRelay).toBeUndefined();
  });

  it("takes a topic prefix for the job topics", () => {
    const config = configFromEnv({ MEMLEDGER_JOB_BUS: "kafka", MEMLEDGER_KAFKA_BROKERS: "localhost:9092", MEMLEDGER_KAFKA_TOPIC_PREFIX: "staging.jobs" });
    expect(config.jobBus).toMatchObject({ kind: "kafka", topicPrefix: "staging.jobs" });
  });

  it("turns the event relay on with the default topic, independently of the job bus", () => {
    const config = configFromEnv({ MEMLEDGER_EVENT_RELAY: "kafka", MEMLEDGER_KAFKA_BROKERS: "[::1]:9092" });
    expect(config.eventRelay).toEqual({ kind: "kafka", brokers: ["[::1]:9092"], topic: "memledger.memory-events" });
    expect(config.jobBus).toEqual({ kind: "sqlite" });
    expect(configFromEnv({ MEMLEDGER_EVENT_RELAY: "kafka", MEMLEDGER_KAFKA_BROKERS: "k:9092", MEMLEDGER_EVENT_TOPIC: "audit.memory" }).eventRelay?.topic).toBe("audit.memory");
  });

  it("turns the worker off, or sets its concurrency", () => {
    expect(configFromEnv({ MEMLEDGER_WORKER: "off" }).worker).toBe(false);
    expect(configFromEnv({ MEMLEDGER_WORKER: "on", MEMLEDGER_WORKER_CONCURRENCY: "16" }).worker).toEqual({ concurrency: 16 });
  });

  it("treats a blank variable as unset", () => {
    expect(configFromEnv({ MEMLEDGER_JOB_BUS: "", MEMLEDGER_WORKER: " ", MEMLEDGER_WORKER_CONCURRENCY: "" })).toMatchObject({ jobBus: { kind: "sqlite" }, worker: { concurrency: 4 } });
  });

  it("refuses a Kafka job bus without brokers, naming the variable to set", () => {
    const message = failure({ MEMLEDGER_JOB_BUS: "kafka" });
    expect(message).toContain("MEMLEDGER_JOB_BUS=kafka needs MEMLEDGER_KAFKA_BROKERS");
    expect(message).toContain("host:port");
  });

  it("refuses the Kafka relay without brokers, naming both users when both need them", () => {
    expect(failure({ MEMLEDGER_EVENT_RELAY: "kafka" })).toContain("MEMLEDGER_EVENT_RELAY=kafka needs MEMLEDGER_KAFKA_BROKERS");
    expect(failure({ MEMLEDGER_JOB_BUS: "kafka", MEMLEDGER_EVENT_RELAY: "kafka" })).toContain("MEMLEDGER_JOB_BUS=kafka and MEMLEDGER_EVENT_RELAY=kafka need MEMLEDGER_KAFKA_BROKERS");
  });

  it("refuses brokers that are not host:port, quoting the bad entries", () => {
    expect(failure({ MEMLEDGER_JOB_BUS: "kafka", MEMLEDGER_KAFKA_BROKERS: "kafka-1:9092,kafka-2" })).toBe(
      'MEMLEDGER_KAFKA_BROKERS must be a comma-separated list of host:port (e.g. kafka-1:9092,kafka-2:9092); "kafka-2" is not host:port',
    );
    expect(failure({ MEMLEDGER_JOB_BUS: "kafka", MEMLEDGER_KAFKA_BROKERS: "kafka:99999" })).toContain('"kafka:99999" is not host:port');
    expect(failure({ MEMLEDGER_JOB_BUS: "kafka", MEMLEDGER_KAFKA_BROKERS: " , " })).toContain("it lists no broker");
    // Checked even when nothing uses Kafka yet: a typo there is always a mistake.
    expect(failure({ MEMLEDGER_KAFKA_BROKERS: "http://kafka:9092" })).toContain("MEMLEDGER_KAFKA_BROKERS");
  });

  it("refuses unknown switch values, listing the allowed ones", () => {
    expect(failure({ MEMLEDGER_JOB_BUS: "rabbitmq" })).toBe('MEMLEDGER_JOB_BUS must be sqlite or kafka, not "rabbitmq"; unset it for the default (sqlite)');
    expect(failure({ MEMLEDGER_EVENT_RELAY: "on" })).toContain("MEMLEDGER_EVENT_RELAY must be off or kafka");
    expect(failure({ MEMLEDGER_WORKER: "false" })).toContain("MEMLEDGER_WORKER must be on or off");
  });

  it("refuses a worker concurrency that is not a whole number of at least 1", () => {
    for (const bad of ["0", "-2", "2.5", "four", "1e3"]) {
      expect(failure({ MEMLEDGER_WORKER_CONCURRENCY: bad })).toBe(`MEMLEDGER_WORKER_CONCURRENCY must be a whole number of at least 1, not "${bad}"; unset it for the default (4)`);
    }
  });

  it("refuses topic names Kafka would reject", () => {
    expect(failure({ MEMLEDGER_JOB_BUS: "kafka", MEMLEDGER_KAFKA_BROKERS: "k:9092", MEMLEDGER_KAFKA_TOPIC_PREFIX: "memledger jobs" })).toContain(
      'MEMLEDGER_KAFKA_TOPIC_PREFIX="memledger jobs" is not a usable Kafka topic name',
    );
    expect(failure({ MEMLEDGER_EVENT_TOPIC: "events/memory" })).toContain("MEMLEDGER_EVENT_TOPIC");
    expect(failure({ MEMLEDGER_EVENT_TOPIC: ".." })).toContain("MEMLEDGER_EVENT_TOPIC");
  });

  it("one switch: the distributed profile puts the log, graph, vectors, jobs and feed on servers, and asks for each address", () => {
    const modelDir = mkdtempSync(join(tmpdir(), "memledger-model-"));
    writeFileSync(join(modelDir, "model.onnx"), "");
    const addresses = {
      MEMLEDGER_PROFILE: "distributed",
      MEMLEDGER_EMBEDDING_MODEL_DIR: modelDir,
      EVENTSTORE_URL: "esdb://eventstore:2113?tls=false",
      NEO4J_URL: "bolt://neo4j:7687",
      QDRANT_URL: "http://qdrant:6333",
      MEMLEDGER_KAFKA_BROKERS: "kafka:9092",
    };
    const config = configFromEnv(addresses);
    expect(config).toMatchObject({
      profile: "distributed",
      eventStore: { kind: "eventstoredb", url: "esdb://eventstore:2113?tls=false" },
      graph: { kind: "neo4j", url: "bolt://neo4j:7687" },
      vector: { kind: "qdrant", url: "http://qdrant:6333" },
      jobBus: { kind: "kafka", brokers: ["kafka:9092"] },
      eventRelay: { kind: "kafka", brokers: ["kafka:9092"] },
    });
    // Each engine can still be switched back on its own.
    expect(configFromEnv({ ...addresses, MEMLEDGER_GRAPH_STORE: "sqlite" }).graph).toEqual({ kind: "sqlite" });
    // Every missing address is named, with the switch that asked for it.
    const { NEO4J_URL: _neo4j, ...withoutNeo4j } = addresses;
    expect(failure(withoutNeo4j)).toBe("MEMLEDGER_PROFILE=distributed (MEMLEDGER_GRAPH_STORE=neo4j) needs NEO4J_URL (e.g. bolt://localhost:7687 or neo4j://cluster:7687)");
    const { EVENTSTORE_URL: _esdb, ...withoutEsdb } = addresses;
    expect(failure(withoutEsdb)).toContain("needs EVENTSTORE_URL");
    const { QDRANT_URL: _qdrant, ...withoutQdrant } = addresses;
    expect(failure(withoutQdrant)).toContain("needs QDRANT_URL");
    const { MEMLEDGER_KAFKA_BROKERS: _kafka, ...withoutKafka } = addresses;
    expect(failure(withoutKafka)).toContain("need MEMLEDGER_KAFKA_BROKERS");
    // Without an embedder there are no vectors, so Qdrant is not asked for.
    expect(configFromEnv({ ...withoutQdrant, MEMLEDGER_EMBEDDER: "none" }).vector).toEqual({ kind: "sqlite" });
  });

  it("refuses malformed engine addresses and half-given credentials", () => {
    expect(failure({ MEMLEDGER_GRAPH_STORE: "neo4j", NEO4J_URL: "http://neo4j:7474" })).toContain("NEO4J_URL must be a bolt:// or neo4j:// URL");
    expect(failure({ MEMLEDGER_GRAPH_STORE: "neo4j", NEO4J_URL: "bolt://neo4j:7687", NEO4J_USERNAME: "neo4j" })).toContain("NEO4J_USERNAME and NEO4J_PASSWORD go together");
    expect(configFromEnv({ MEMLEDGER_GRAPH_STORE: "neo4j", NEO4J_URL: "neo4j+s://db.example:7687", NEO4J_USERNAME: "u", NEO4J_PASSWORD: "p", NEO4J_DATABASE: "memory" }).graph).toEqual({
      kind: "neo4j",
      url: "neo4j+s://db.example:7687",
      username: "u",
      password: "p",
      database: "memory",
    });
    expect(failure({ MEMLEDGER_EVENT_STORE: "eventstoredb", EVENTSTORE_URL: "http://localhost:2113" })).toContain("EVENTSTORE_URL must be an EventStoreDB/KurrentDB connection string");
    expect(failure({ MEMLEDGER_VECTOR_STORE: "qdrant", MEMLEDGER_EMBEDDER: "none", QDRANT_URL: "http://q:6333" })).toContain("needs an embedder");
    expect(failure({ MEMLEDGER_PROFILE: "cluster" })).toContain('MEMLEDGER_PROFILE must be embedded or distributed, not "cluster"');
    expect(failure({ MEMLEDGER_PORT: "80a" })).toContain("MEMLEDGER_PORT must be a port number");
  });

  it("reads a JSON configuration file under the environment, which wins, and blames the file's key for its mistakes", () => {
    const dir = mkdtempSync(join(tmpdir(), "memledger-config-"));
    const file = join(dir, "memledger.json");
    writeFileSync(
      file,
      JSON.stringify({
        profile: "distributed",
        dataDir: "/var/lib/memledger",
        port: 9090,
        eventStore: { url: "esdb://eventstore:2113?tls=false" },
        graph: { url: "bolt://neo4j:7687", username: "neo4j" },
        kafka: { brokers: ["kafka-1:9092", "kafka-2:9092"] },
        worker: { enabled: false },
        embedder: { kind: "none" },
      }),
    );
    const config = configFromSources({ MEMLEDGER_CONFIG: file, NEO4J_PASSWORD: "from-the-environment", MEMLEDGER_PORT: "7070" });
    expect(config).toMatchObject({
      profile: "distributed",
      dataDir: "/var/lib/memledger",
      port: 7070,
      graph: { kind: "neo4j", url: "bolt://neo4j:7687", username: "neo4j", password: "from-the-environment" },
      jobBus: { kind: "kafka", brokers: ["kafka-1:9092", "kafka-2:9092"] },
      worker: false,
    });
    expect(() => configFromSources({ MEMLEDGER_CONFIG: file })).toThrow(/NEO4J_USERNAME and NEO4J_PASSWORD go together.*NEO4J_USERNAME is "graph.username" in/);

    writeFileSync(file, JSON.stringify({ graph: { uri: "bolt://neo4j:7687" } }));
    expect(() => configFromSources({ MEMLEDGER_CONFIG: file })).toThrow(/unknown key "graph.uri"; known keys of "graph": graph.kind, graph.url/);
    writeFileSync(file, JSON.stringify({ graph: { kind: "neo4j", url: "http://neo4j" } }));
    expect(() => configFromSources({ MEMLEDGER_CONFIG: file })).toThrow(/NEO4J_URL must be a bolt:\/\/ or neo4j:\/\/ URL.*NEO4J_URL is "graph.url" in/);
    writeFileSync(file, "{ not json");
    expect(() => configFromSources({ MEMLEDGER_CONFIG: file })).toThrow(/is not valid JSON/);
    expect(() => configFromSources({ MEMLEDGER_CONFIG: join(dir, "missing.json") })).toThrow(/cannot be read \(ENOENT\)/);
  });
});

describe("OIDC bearer tokens from the environment (MEMLEDGER_OIDC_*)", () => {
  const pem = "-----BEGIN PUBLIC KEY-----\\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\\n-----END PUBLIC KEY-----";
  const base = { MEMLEDGER_OIDC_ISSUER: "https://login.example.com/realms/acme", MEMLEDGER_OIDC_AUDIENCE: "memledger" };

  it("is off unless an issuer is set: API keys only", () => {
    expect(configFromEnv({}).jwt).toBeUndefined();
  });

  it("reads a JWKS URL, a fixed tenant (default), a role map and a clock tolerance", () => {
    const config = configFromEnv({
      ...base,
      MEMLEDGER_OIDC_JWKS_URL: "https://login.example.com/jwks.json",
      MEMLEDGER_OIDC_ROLE_MAP: "memledger-admins=tenant_admin, staff=reader",
      MEMLEDGER_OIDC_CLOCK_TOLERANCE_S: "10",
    });
    expect(config.jwt).toEqual({
      issuer: "https://login.example.com/realms/acme",
      audience: "memledger",
      jwksUrl: "https://login.example.com/jwks.json",
      tenant: { fixed: "default" },
      roleMap: { "memledger-admins": "tenant_admin", staff: "reader" },
      clockToleranceSeconds: 10,
    });
  });

  it("reads a PEM public key written with \\n escapes, and a tenant claim", () => {
    const config = configFromEnv({ ...base, MEMLEDGER_OIDC_PUBLIC_KEY: pem, MEMLEDGER_OIDC_TENANT_CLAIM: "tid" });
    expect(config.jwt?.publicKey).toBe("-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----");
    expect(config.jwt?.tenant).toEqual({ claim: "tid" });
    expect(configFromEnv({ ...base, MEMLEDGER_OIDC_PUBLIC_KEY: pem, MEMLEDGER_OIDC_TENANT: "acme" }).jwt?.tenant).toEqual({ fixed: "acme" });
  });

  it("refuses partial or contradictory settings with a message that names the variables", () => {
    expect(failure({ MEMLEDGER_OIDC_AUDIENCE: "memledger" })).toContain("MEMLEDGER_OIDC_AUDIENCE is set but MEMLEDGER_OIDC_ISSUER is not");
    expect(failure({ MEMLEDGER_OIDC_ISSUER: "https://login.example.com" })).toContain("needs MEMLEDGER_OIDC_AUDIENCE");
    expect(failure(base)).toContain("MEMLEDGER_OIDC_JWKS_URL");
    expect(failure({ ...base, MEMLEDGER_OIDC_JWKS_URL: "https://x/jwks", MEMLEDGER_OIDC_PUBLIC_KEY: pem })).toContain("not both");
    expect(failure({ ...base, MEMLEDGER_OIDC_JWKS_URL: "ftp://x/jwks" })).toContain("http:// or https://");
    expect(failure({ ...base, MEMLEDGER_OIDC_PUBLIC_KEY: "not a key" })).toContain("PEM public key");
    expect(failure({ ...base, MEMLEDGER_OIDC_JWKS_URL: "https://x/jwks", MEMLEDGER_OIDC_TENANT: "a", MEMLEDGER_OIDC_TENANT_CLAIM: "tid" })).toContain("not both");
    expect(failure({ ...base, MEMLEDGER_OIDC_JWKS_URL: "https://x/jwks", MEMLEDGER_OIDC_CLOCK_TOLERANCE_S: "-1" })).toContain("MEMLEDGER_OIDC_CLOCK_TOLERANCE_S");
  });

  it("refuses a role map naming a memledger role that does not exist", () => {
    const message = failure({ ...base, MEMLEDGER_OIDC_JWKS_URL: "https://x/jwks", MEMLEDGER_OIDC_ROLE_MAP: "admins=superuser" });
    expect(message).toContain('"superuser" is not a memledger role');
    expect(message).toContain("tenant_admin");
    expect(failure({ ...base, MEMLEDGER_OIDC_JWKS_URL: "https://x/jwks", MEMLEDGER_OIDC_ROLE_MAP: "admins" })).toContain("idpRole=memledgerRole");
  });
});
