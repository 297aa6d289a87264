import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * The real server (`src/server/main.ts` under vite-node, so it is the source as
 * it is now, not a stale dist/) in a child process: embedded default, a fresh
 * temporary data directory, no embedding model, on a port the OS picks. Its
 * JSON log is kept so a failing test can show what the server said.
 */
export interface ServerProcess {
  readonly baseUrl: string;
  readonly dataDir: string;
  /** The first admin's API key, which the server wrote to `<dataDir>/admin.key` on its first start (send it as `Authorization: Bearer <key>`). */
  adminKey(): string;
  /** The last lines the server logged (requests, errors with stacks). */
  logTail(lines?: number): string;
  /** Log lines at level error (50) or above. */
  errorLines(): string[];
  stop(): Promise<void>;
}

const viteNode = join(process.cwd(), "node_modules", ".bin", "vite-node");
// Settings a developer's shell or CI may carry that would send the server elsewhere than the embedded default.
const inheritedSettings = /^(MEMLEDGER_|EVENTSTORE_URL$|NEO4J_|QDRANT_|KAFKA_)/;

export async function startServerProcess(options: { readonly startTimeoutMs?: number; /** More settings, e.g. MEMLEDGER_RATE_LIMIT: "off". */ readonly env?: Readonly<Record<string, string>> } = {}): Promise<ServerProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), "memledger-fuzz-"));
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !inheritedSettings.test(key)));
  Object.assign(env, { MEMLEDGER_DATA_DIR: dataDir, MEMLEDGER_HOST: "127.0.0.1", MEMLEDGER_PORT: "0", MEMLEDGER_EMBEDDER: "none", MEMLEDGER_LOG: "on" }, options.env ?? {});
  const child = spawn(viteNode, [join("src", "server", "main.ts")], { env, stdio: ["ignore", "pipe", "pipe"] });
  const log: string[] = [];
  let partial = "";
  const collect = (chunk: Buffer) => {
    const lines = (partial + String(chunk)).split("\n");
    partial = lines.pop() ?? "";
    log.push(...lines);
    if (log.length > 20_000) log.splice(0, log.length - 10_000);
  };
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const baseUrl = await listeningUrl(child, log, options.startTimeoutMs ?? 60_000).catch(async (error: unknown) => {
    child.kill("SIGKILL");
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  });
  return {
    baseUrl,
    dataDir,
    adminKey: () => readFileSync(join(dataDir, "admin.key"), "utf8").trim(),
    logTail: (lines = 60) => log.slice(-lines).join("\n"),
    errorLines: () => log.filter((line) => /"level":(50|60)/.test(line)),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Fastify logs "Server listening at http://127.0.0.1:<port>" once it accepts connections. */
function listeningUrl(child: ChildProcess, log: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`the server did not log "Server listening at" within ${timeoutMs} ms:\n${log.join("\n")}`)), timeoutMs);
    const onData = () => {
      for (const line of log) {
        const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
        if (match) return done(match[1]!);
      }
    };
    const onExit = (code: number | null, signal: string | null) => fail(new Error(`the server exited before listening (${code ?? signal}):\n${log.join("\n")}`));
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout!.off("data", onData);
      child.off("exit", onExit);
    };
    const done = (url: string) => (cleanup(), resolve(url));
    const fail = (error: Error) => (cleanup(), reject(error));
    child.stdout!.on("data", onData);
    child.once("exit", onExit);
  });
}
