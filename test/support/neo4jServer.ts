import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import neo4j, { type AuthToken } from "neo4j-driver";

/**
 * A real Neo4j community server for integration tests: embedded Neo4j with only
 * a Bolt connector, run by our own test/harness/neo4j/Neo4jLauncher.java from the
 * jars of test/harness/neo4j/pom.xml (fetched once by Maven into .cache/),
 * because this machine has no Docker. Needs a JDK 17+ (`java`, `javac`) and `mvn` on the PATH.
 */
export interface Neo4jTestServer {
  /** bolt://127.0.0.1:PORT; authentication is off, so connect with `noAuth`. */
  readonly boltUrl: string;
  /** Shuts the server down and deletes its data; safe to call more than once. */
  stop(): Promise<void>;
}

export const neo4jVersion = "5.26.30";

/** `neo4j.auth.none()`: the driver has it, but neo4j-driver 6's type declarations leave it out. */
export const noAuth: AuthToken = (neo4j.auth as typeof neo4j.auth & { none(): AuthToken }).none();

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const harnessDir = join(repoRoot, "test", "harness", "neo4j");
const pomPath = join(harnessDir, "pom.xml");
const launcherSource = join(harnessDir, "Neo4jLauncher.java");
const launcherClass = "Neo4jLauncher";
const cacheDir = join(repoRoot, ".cache", `neo4j-${neo4jVersion}`);
const libDir = join(cacheDir, "lib");
const readinessTimeoutMs = 120_000;
/** How long stop() lets the launcher's shutdown hook close the databases before it kills the JVM. */
const gracefulStopMs = 10_000;

const jvmFlags = [
  // An explicit initial heap too: Neo4j warns at startup when only the maximum is set.
  "-Xms256m",
  "-Xmx768m",
  // C1 only: the server lives for one test file, so fast startup beats peak throughput (about 1 s less until the first query answers).
  "-XX:TieredStopAtLevel=1",
  // What Neo4j's own start script opens: without them the page cache falls back to slower buffer handling and logs warnings.
  "--add-opens=java.base/java.nio=ALL-UNNAMED",
  "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
  "--add-opens=java.base/java.io=ALL-UNNAMED",
  "-Dlog4j2.disable.jmx=true",
  "-Djava.awt.headless=true",
];

export async function startNeo4jServer(): Promise<Neo4jTestServer> {
  await ensureNeo4jJars();
  const classesDir = await ensureLauncherClasses();
  const port = await freeLoopbackPort();
  const workDir = mkdtempSync(join(tmpdir(), "memledger-neo4j-"));
  const homeDir = join(workDir, "home");
  const logPath = join(workDir, "launcher.log");
  const logs = { launcher: logPath, debug: join(homeDir, "logs", "debug.log") };

  const logFd = openSync(logPath, "a");
  let server: ChildProcess;
  try {
    // Detached: its own process group, so stopping kills the JVM and anything it forked.
    // stdin is a pipe the launcher watches: if this process dies without running its exit handler (SIGKILL), the pipe closes and the JVM shuts down.
    server = spawn("java", [...jvmFlags, "-cp", [classesDir, `${libDir}/*`].join(delimiter), launcherClass, homeDir, String(port)], {
      cwd: workDir,
      detached: true,
      stdio: ["pipe", logFd, logFd],
    });
  } finally {
    closeSync(logFd);
  }
  let spawnError: Error | undefined;
  server.once("error", (error) => (spawnError = error));
  server.stdin?.on("error", () => undefined); // nothing is ever written; a closed pipe is expected once the JVM is gone
  const exited = new Promise<number | string | null>((resolveExit) => server.once("exit", (code, signal) => resolveExit(code ?? signal)));
  let exitCode: number | string | null | undefined;
  void exited.then((code) => (exitCode = code));
  server.unref();

  const signalGroup = (signal: NodeJS.Signals) => {
    if (server.pid === undefined || exitCode !== undefined) return;
    try {
      process.kill(-server.pid, signal);
    } catch {
      // Already gone.
    }
  };
  const killGroup = () => signalGroup("SIGKILL");
  // A test run that crashes or forgets stop() must not leave a JVM behind; an exit handler cannot wait for a clean shutdown.
  const killOnExit = () => {
    killGroup();
    try {
      rmSync(workDir, { recursive: true, force: true });
    } catch {
      // The dying JVM may still be writing; a leftover temp directory is harmless.
    }
  };
  process.once("exit", killOnExit);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      process.removeListener("exit", killOnExit);
      // Unreferenced, the child's exit event alone would not keep Node running while stop() awaits it.
      server.ref();
      signalGroup("SIGTERM"); // the launcher's shutdown hook closes the databases
      const killTimer = setTimeout(killGroup, gracefulStopMs);
      if (exitCode === undefined && spawnError === undefined) await exited;
      clearTimeout(killTimer);
      server.stdin?.destroy();
      rmSync(workDir, { recursive: true, force: true });
    })());

  const boltUrl = `bolt://127.0.0.1:${port}`;
  try {
    await waitUntilReady(boltUrl, () => exitCode, () => spawnError, logs);
  } catch (error) {
    await stop();
    throw error;
  }
  return { boltUrl, stop };
}

/** Copies the server's jars into .cache/ once; later runs see the marker and skip Maven. */
async function ensureNeo4jJars(): Promise<void> {
  await publishOnce(libDir, async (partialDir) => {
    await runOrExplain("mvn", ["-q", "-B", "-f", pomPath, "dependency:copy-dependencies", `-DoutputDirectory=${partialDir}`], `fetch the Neo4j ${neo4jVersion} jars with Maven`);
    const jars = readdirSync(partialDir).filter((name) => name.endsWith(".jar"));
    if (!jars.includes(`neo4j-${neo4jVersion}.jar`)) {
      throw new Error(`Maven finished but ${partialDir} has no neo4j-${neo4jVersion}.jar (found: ${jars.join(", ") || "nothing"}); check ${pomPath}`);
    }
    return `${jars.length} jars from ${pomPath}\n`;
  });
}

/**
 * Compiles the launcher against the jars once per version of its source: the
 * directory is named after the source's hash, so an edited launcher gets a new
 * directory instead of replacing classes another test file may be running.
 */
async function ensureLauncherClasses(): Promise<string> {
  const sourceHash = createHash("sha256").update(readFileSync(launcherSource)).digest("hex").slice(0, 16);
  const classesDir = join(cacheDir, "classes", sourceHash);
  await publishOnce(classesDir, async (partialDir) => {
    await runOrExplain("javac", ["-d", partialDir, "-cp", `${libDir}/*`, launcherSource], `compile ${launcherSource}`);
    return `${launcherSource} at sha256 ${sourceHash}\n`;
  });
  return classesDir;
}

/**
 * Builds a directory once across parallel test files: each builds into a private
 * directory, marks it complete, and renames it into place. The rename is atomic
 * and the marker is inside, so `targetDir` either does not exist or is complete;
 * whoever loses the race throws its copy away.
 */
async function publishOnce(targetDir: string, build: (partialDir: string) => Promise<string>): Promise<void> {
  const completeMarker = join(targetDir, ".complete");
  if (existsSync(completeMarker)) return;
  const partialDir = `${targetDir}.partial-${process.pid}-${randomBytes(4).toString("hex")}`;
  mkdirSync(partialDir, { recursive: true });
  try {
    const markerText = await build(partialDir);
    writeFileSync(join(partialDir, ".complete"), markerText);
    try {
      renameSync(partialDir, targetDir);
    } catch (error) {
      if (existsSync(completeMarker)) return; // another test file published its copy first
      throw new Error(`cannot publish ${targetDir}: ${String(error)}. If it is a leftover without a .complete marker, delete it.`);
    }
  } finally {
    rmSync(partialDir, { recursive: true, force: true });
  }
}

/**
 * Runs a build step without blocking the event loop: a cold Maven fetch takes
 * over a minute, longer than a vitest worker may leave its RPC calls unanswered.
 */
function runOrExplain(command: string, args: readonly string[], purpose: string): Promise<void> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"], timeout: 600_000 });
    let output = "";
    const collect = (chunk: string) => (output += chunk);
    child.stdout.setEncoding("utf8").on("data", collect);
    child.stderr.setEncoding("utf8").on("data", collect);
    child.once("error", (error) => {
      if ("code" in error && error.code === "ENOENT") {
        reject(new Error(`cannot ${purpose}: \`${command}\` is not on the PATH. The Neo4j test server needs a JDK 17+ (java, javac) and Maven (mvn).`));
      } else {
        reject(new Error(`cannot ${purpose}: \`${command} ${args.join(" ")}\` failed (${String(error)}).\n${tail(output.trim(), 60)}`));
      }
    });
    child.once("close", (code, signal) => {
      if (code === 0) resolveRun();
      else reject(new Error(`cannot ${purpose}: \`${command} ${args.join(" ")}\` failed (${signal ?? `exit code ${code}`}).\n${tail(output.trim(), 60)}`));
    });
  });
}

async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  const port = await new Promise<number>((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") reject(new Error("expected a TCP address from a loopback listener"));
      else resolveListen(address.port);
    });
  });
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

interface ServerLogs {
  /** The launcher's stdout and stderr: Neo4j's user log, the ready line, JVM errors. */
  readonly launcher: string;
  /** Neo4j's detailed log inside the home directory. */
  readonly debug: string;
}

/**
 * Ready means the launcher has printed its ready line (the default database is
 * available) and a driver can connect over Bolt and run a query.
 */
async function waitUntilReady(
  boltUrl: string,
  exitCode: () => number | string | null | undefined,
  spawnError: () => Error | undefined,
  logs: ServerLogs,
): Promise<void> {
  const deadline = Date.now() + readinessTimeoutMs;
  let lastError: unknown = "the launcher has not printed NEO4J_READY";
  while (Date.now() < deadline) {
    const failedToSpawn = spawnError();
    if (failedToSpawn !== undefined) {
      const missing = "code" in failedToSpawn && failedToSpawn.code === "ENOENT";
      throw new Error(missing ? "cannot start the Neo4j test server: `java` is not on the PATH. It needs a JDK 17+ (java, javac) and Maven (mvn)." : `cannot start the Neo4j test server: ${String(failedToSpawn)}`);
    }
    const code = exitCode();
    if (code !== undefined) throw new Error(`the Neo4j test server exited (${code}) while starting.\n${logTails(logs)}`);
    if (readLog(logs.launcher).includes("NEO4J_READY")) {
      try {
        await probe(boltUrl);
        return;
      } catch (error) {
        lastError = error;
      }
    }
    await sleep(250);
  }
  throw new Error(`the Neo4j test server at ${boltUrl} did not become ready within ${readinessTimeoutMs / 1000} s (last error: ${String(lastError)}).\n${logTails(logs)}`);
}

async function probe(boltUrl: string): Promise<void> {
  const driver = neo4j.driver(boltUrl, noAuth, { connectionTimeout: 2_000, maxConnectionPoolSize: 1 });
  try {
    await driver.verifyConnectivity();
    await driver.executeQuery("RETURN 1");
  } finally {
    await driver.close();
  }
}

function logTails(logs: ServerLogs): string {
  return `--- launcher output ---\n${tail(readLog(logs.launcher), 60)}\n--- Neo4j debug.log ---\n${tail(readLog(logs.debug), 30)}`;
}

function readLog(logPath: string): string {
  try {
    return readFileSync(logPath, "utf8");
  } catch {
    return "(no log)";
  }
}

function tail(text: string, lines: number): string {
  return text.split("\n").slice(-lines).join("\n");
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));
