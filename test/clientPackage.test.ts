import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * `memledger/client` as another project imports it: the BUILT package (dist/,
 * which `npm install` builds through `prepare`) resolved by name through the
 * package's `exports` map from a project that has memledger in its
 * node_modules. Before the map named `./client` this failed with
 * ERR_PACKAGE_PATH_NOT_EXPORTED.
 */
const repoRoot = process.cwd();
const clientEntry = join(repoRoot, "dist", "src", "client", "index.js");

/** dist/ is built by `npm install` (CI) or `npm run build`; rebuilt here only when a client source is newer than it. */
async function ensureBuiltClient(): Promise<void> {
  // package.json is read as it is at import time: only the client's sources need a build.
  const sources = readdirSync(join(repoRoot, "src", "client")).map((f) => join(repoRoot, "src", "client", f));
  const built = (() => {
    try {
      return statSync(clientEntry).mtimeMs;
    } catch {
      return 0;
    }
  })();
  if (sources.every((s) => statSync(s).mtimeMs <= built)) return;
  // Asynchronously: a build takes a minute on a busy machine, and a blocked worker loses its link to vitest.
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
    const tsc = spawn(join(repoRoot, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.build.json"], { cwd: repoRoot });
    let output = "";
    tsc.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    tsc.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    tsc.on("close", (exitCode) => resolve({ code: exitCode, output }));
  });
  if (code !== 0) throw new Error(`npm run build failed, so the client package cannot be tried:\n${output}`);
}

describe("the memledger/client package", () => {
  let consumer: string;
  const loadedLog = () => join(consumer, "loaded.txt");

  beforeAll(async () => {
    await ensureBuiltClient();
    consumer = mkdtempSync(join(tmpdir(), "memledger-consumer-"));
    mkdirSync(join(consumer, "node_modules"));
    symlinkSync(repoRoot, join(consumer, "node_modules", "memledger"), "dir");
    writeFileSync(join(consumer, "package.json"), JSON.stringify({ name: "consumer", type: "module", private: true }));
    // A resolve hook (it runs on the loader thread) that writes down every module the import loads.
    writeFileSync(
      join(consumer, "hooks.mjs"),
      `import { appendFileSync } from "node:fs";\nexport async function resolve(specifier, context, next) { const r = await next(specifier, context); appendFileSync(${JSON.stringify(loadedLog())}, r.url + "\\n"); return r; }\n`,
    );
    writeFileSync(join(consumer, "register.mjs"), `import { register } from "node:module";\nregister("./hooks.mjs", import.meta.url);\n`);
  }, 300_000);
  afterAll(() => {
    if (consumer) rmSync(consumer, { recursive: true, force: true });
  });

  const importByName = (script: string) =>
    spawnSync(process.execPath, ["--import", "./register.mjs", "--input-type=module", "-e", script], { cwd: consumer, encoding: "utf8", timeout: 60_000 });

  it("resolves through the exports map and gives the client", () => {
    rmSync(loadedLog(), { force: true });
    const run = importByName(`const m = await import("memledger/client"); console.log(JSON.stringify(Object.keys(m).sort()));`);
    expect(run.stderr).not.toContain("ERR_PACKAGE_PATH_NOT_EXPORTED");
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(["MemLedgerHttpError", "connectMemLedger", "httpRedaction", "remoteHolds", "remoteRetention"]);
  });

  it("loads no server code, no native module and no dependency", () => {
    rmSync(loadedLog(), { force: true });
    const run = importByName(`await import("memledger/client");`);
    expect(run.status, run.stderr).toBe(0);
    const loaded = readFileSync(loadedLog(), "utf8").trim().split("\n");
    const memledgerFiles = loaded.filter((url) => url.includes("/dist/"));
    expect(memledgerFiles).toContain(`file://${clientEntry}`);
    // fastify, better-sqlite3, effect, onnxruntime…: a client must not drag them (or their start-up cost) in.
    expect(loaded.filter((url) => url.includes("/node_modules/") && !url.endsWith("/node_modules/memledger/dist/src/client/index.js"))).toEqual([]);
    expect(memledgerFiles.filter((url) => /\/dist\/src\/(server|app|eventStore|storage|cli)\//.test(url))).toEqual([]);
  });

  it("answers a call through the client's error type when the server is not there", () => {
    const run = importByName(
      `const { connectMemLedger } = await import("memledger/client");\ntry { await connectMemLedger("http://127.0.0.1:9", { apiKey: "k" }); } catch (e) { console.log(e.message); }`,
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain("cannot reach the memledger server at http://127.0.0.1:9");
  });

  it("declares its types beside the module", () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { exports: Record<string, unknown> };
    expect(pkg.exports["./client"]).toEqual({ types: "./dist/src/client/index.d.ts", default: "./dist/src/client/index.js" });
    expect(statSync(join(repoRoot, "dist", "src", "client", "index.d.ts")).isFile()).toBe(true);
  });
});
