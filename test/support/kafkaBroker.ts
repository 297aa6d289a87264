import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Kafka, logLevel } from "kafkajs";

/**
 * A real single-node KRaft Kafka broker for integration tests, run from the jars
 * of test/harness/kafka/pom.xml (fetched once by Maven into .cache/), because
 * this machine has no Docker. Needs `java` (17+) and `mvn` on the PATH.
 */
export interface KafkaTestBroker {
  readonly brokers: string[];
  stop(): Promise<void>;
}

const kafkaVersion = "3.9.1";
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const pomPath = join(repoRoot, "test", "harness", "kafka", "pom.xml");
const cacheDir = join(repoRoot, ".cache", `kafka-${kafkaVersion}`);
const libDir = join(cacheDir, "lib");
// Inside lib/, so the atomic rename publishes the jars and the marker together; the classpath's lib/* only picks up .jar files.
const completeMarker = join(libDir, ".complete");
const readinessTimeoutMs = 60_000;

// Quiet kafkajs in tests: the probe clients and the tests' own clients share this process.
process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= "1";

export async function startKafkaBroker(): Promise<KafkaTestBroker> {
  ensureKafkaJars();
  const [port, controllerPort] = await twoFreeLoopbackPorts();
  const workDir = mkdtempSync(join(tmpdir(), "memledger-kafka-"));
  const propertiesPath = join(workDir, "server.properties");
  const log4jPath = join(workDir, "log4j.properties");
  const logPath = join(workDir, "broker.log");
  writeFileSync(propertiesPath, serverProperties(port, controllerPort, join(workDir, "data")));
  writeFileSync(log4jPath, log4jProperties);

  const classpath = `${libDir}/*`;
  const jvmFlags = [`-Dlog4j.configuration=file:${log4jPath}`, "-Djava.awt.headless=true"];
  try {
    runOrExplain("java", [...jvmFlags, "-cp", classpath, "kafka.tools.StorageTool", "format", "-t", kafkaClusterId(), "-c", propertiesPath], "format the broker's storage");
  } catch (error) {
    rmSync(workDir, { recursive: true, force: true });
    throw error;
  }

  const logFd = openSync(logPath, "a");
  let broker: ChildProcess;
  try {
    // Detached: its own process group, so stop() kills the JVM and anything it forked.
    broker = spawn("java", ["-Xmx512m", "-Xms128m", ...jvmFlags, "-cp", classpath, "kafka.Kafka", propertiesPath], { detached: true, stdio: ["ignore", logFd, logFd] });
  } finally {
    closeSync(logFd);
  }
  const exited = new Promise<number | null>((resolveExit) => broker.once("exit", (code) => resolveExit(code)));
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  broker.unref();
  const killGroup = () => {
    if (broker.pid === undefined || exitCode !== undefined) return;
    try {
      process.kill(-broker.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  };
  // A test run that crashes or forgets stop() must not leave a JVM behind.
  process.once("exit", killGroup);

  const stop = async () => {
    process.removeListener("exit", killGroup);
    // Unreferenced, the child's exit event alone would not keep Node running while stop() awaits it.
    broker.ref();
    killGroup();
    if (exitCode === undefined) await exited;
    rmSync(workDir, { recursive: true, force: true });
  };

  const brokers = [`127.0.0.1:${port}`];
  try {
    await waitUntilReady(brokers, () => exitCode, logPath);
  } catch (error) {
    await stop();
    throw error;
  }
  return { brokers, stop };
}

/** Copies the broker's jars into .cache/ once; a marker written after a full copy makes later runs skip Maven. */
function ensureKafkaJars(): void {
  if (existsSync(completeMarker)) return;
  mkdirSync(cacheDir, { recursive: true });
  // Copy into a private directory and rename it into place, so parallel test files never see half a lib/.
  const partialDir = join(cacheDir, `lib.partial-${process.pid}-${randomBytes(4).toString("hex")}`);
  try {
    runOrExplain("mvn", ["-q", "-B", "-f", pomPath, "dependency:copy-dependencies", `-DoutputDirectory=${partialDir}`], `fetch the Kafka ${kafkaVersion} jars with Maven`);
    const jars = readdirSync(partialDir).filter((name) => name.endsWith(".jar"));
    if (!jars.includes(`kafka_2.13-${kafkaVersion}.jar`)) {
      throw new Error(`Maven finished but ${partialDir} has no kafka_2.13-${kafkaVersion}.jar (found: ${jars.join(", ") || "nothing"}); check ${pomPath}`);
    }
    writeFileSync(join(partialDir, ".complete"), `${jars.length} jars from ${pomPath}\n`);
    if (existsSync(completeMarker)) return; // another test file finished first
    rmSync(libDir, { recursive: true, force: true }); // without a marker it is a leftover, never a finished copy
    try {
      renameSync(partialDir, libDir);
    } catch (error) {
      if (!existsSync(completeMarker)) throw error; // otherwise another test file renamed its copy in first
    }
  } finally {
    rmSync(partialDir, { recursive: true, force: true });
  }
}

function runOrExplain(command: string, args: readonly string[], purpose: string): void {
  const result = spawnSync(command, args, { cwd: repoRoot, encoding: "utf8", timeout: 600_000 });
  if (result.error && "code" in result.error && result.error.code === "ENOENT") {
    throw new Error(`cannot ${purpose}: \`${command}\` is not on the PATH. The Kafka test broker needs a JDK 17+ (java) and Maven (mvn).`);
  }
  if (result.error || result.status !== 0) {
    const output = `${result.stdout ?? ""}${result.stderr ?? ""}`.trim();
    const why = result.error ? String(result.error) : `exit code ${result.status}`;
    throw new Error(`cannot ${purpose}: \`${command} ${args.join(" ")}\` failed (${why}).\n${tail(output, 60)}`);
  }
}

/** Kafka's cluster id format: 16 random bytes in URL-safe base64 without padding, not starting with "-". */
function kafkaClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}

/** The client port and the controller port; both listeners stay open together so the OS cannot hand out the same port twice. */
async function twoFreeLoopbackPorts(): Promise<[number, number]> {
  const servers = [createServer(), createServer()];
  const ports = await Promise.all(
    servers.map(
      (server) =>
        new Promise<number>((resolveListen, reject) => {
          server.once("error", reject);
          server.listen(0, "127.0.0.1", () => {
            const address = server.address();
            if (address === null || typeof address === "string") reject(new Error("expected a TCP address from a loopback listener"));
            else resolveListen(address.port);
          });
        }),
    ),
  );
  await Promise.all(servers.map((server) => new Promise<void>((done) => server.close(() => done()))));
  const [client, controller] = ports;
  if (client === undefined || controller === undefined) throw new Error("expected two loopback ports");
  return [client, controller];
}

function serverProperties(port: number, controllerPort: number, dataDir: string): string {
  return [
    "process.roles=broker,controller",
    "node.id=1",
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    "controller.listener.names=CONTROLLER",
    "inter.broker.listener.name=PLAINTEXT",
    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    `log.dirs=${dataDir}`,
    "num.partitions=4",
    "offsets.topic.replication.factor=1",
    // One offsets partition instead of 50: the first group join then waits for one partition to load, not fifty.
    "offsets.topic.num.partitions=1",
    "transaction.state.log.replication.factor=1",
    "transaction.state.log.min.isr=1",
    "group.initial.rebalance.delay.ms=0",
    "auto.create.topics.enable=false",
    "",
  ].join("\n");
}

const log4jProperties = [
  "log4j.rootLogger=INFO, stdout",
  "log4j.appender.stdout=org.apache.log4j.ConsoleAppender",
  "log4j.appender.stdout.layout=org.apache.log4j.PatternLayout",
  "log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n",
  "log4j.logger.kafka.request.logger=WARN",
  "log4j.logger.state.change.logger=WARN",
  "log4j.logger.kafka.log.LogCleaner=WARN",
  "",
].join("\n");

/**
 * Ready means a client can do what the tests do: create a topic, produce with
 * acks=all, and consume it in a consumer group. The group part waits out the
 * coordinator's "loading" phase, which otherwise makes the first test's group join slow or flaky.
 */
async function waitUntilReady(brokers: string[], exitCode: () => number | null | undefined, logPath: string): Promise<void> {
  const deadline = Date.now() + readinessTimeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const code = exitCode();
    if (code !== undefined) throw new Error(`the Kafka test broker exited with code ${code} while starting.\n${tail(readLog(logPath), 60)}`);
    try {
      await probe(brokers, deadline);
      return;
    } catch (error) {
      lastError = error;
      await sleep(500);
    }
  }
  throw new Error(`the Kafka test broker at ${brokers.join(",")} did not become ready within ${readinessTimeoutMs / 1000} s (last error: ${String(lastError)}).\n${tail(readLog(logPath), 60)}`);
}

async function probe(brokers: string[], deadline: number): Promise<void> {
  const kafka = new Kafka({ clientId: "memledger-test-readiness", brokers, logLevel: logLevel.NOTHING, connectionTimeout: 2_000, retry: { retries: 2, initialRetryTime: 200 } });
  const topic = "memledger-test-readiness";
  const admin = kafka.admin();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const consumer = kafka.consumer({ groupId: `memledger-test-readiness-${randomBytes(4).toString("hex")}` });
  try {
    await admin.connect();
    await admin.describeCluster();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ value: "ready?" }] });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolveProbe, reject) => {
      const timer = setTimeout(() => reject(new Error("the readiness consumer received nothing")), Math.max(1_000, deadline - Date.now()));
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        clearTimeout(timer);
        reject(payload.error);
      });
      consumer
        .run({
          eachMessage: async () => {
            clearTimeout(timer);
            resolveProbe();
          },
        })
        .catch((error: unknown) => {
          clearTimeout(timer);
          reject(error);
        });
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

function readLog(logPath: string): string {
  try {
    return readFileSync(logPath, "utf8");
  } catch {
    return "(no broker log)";
  }
}

function tail(text: string, lines: number): string {
  return text.split("\n").slice(-lines).join("\n");
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));
