import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureSchemathesis, schemathesisHarnessDir, type PythonTool } from "./support/schemathesisEnvironment.js";
import { startServerProcess, type ServerProcess } from "./support/serverProcess.js";

/**
 * Schemathesis, a property-based API fuzzer no one here wrote, against the real
 * server's OpenAPI document: every operation, examples + coverage + fuzzing +
 * stateful phases, a fixed seed, bounded examples. Settings and the checks it
 * runs: test/harness/schemathesis/schemathesis.toml, why: docs/testing.md.
 */
const seed = 20261201;
const fuzzBudgetMs = 6 * 60_000;

/**
 * Schemathesis learns ids from answers (GET /me names the fuzzer's own principal,
 * GET /keys its key), and once it disabled the principal it acts as, or revoked
 * its key, the rest of the run was 401s that test nothing. The two operations
 * that can do that get a principal and a key of their own to act on instead:
 * they are still called in every phase, with the other parameters generated.
 */
interface DisposableTargets {
  readonly principalId: string;
  readonly keyId: string;
}

async function disposableTargets(baseUrl: string, apiKey: string): Promise<DisposableTargets> {
  const headers = { authorization: `Bearer ${apiKey}`, "content-type": "application/json" };
  const principalId = "fuzz-disposable";
  const created = await fetch(`${baseUrl}/principals`, { method: "POST", headers, body: JSON.stringify({ principalId, kind: "user", roles: ["reader"] }) });
  if (created.status !== 201) throw new Error(`creating ${principalId}: ${created.status} ${await created.text()}`);
  const issued = await fetch(`${baseUrl}/principals/${principalId}/keys`, { method: "POST", headers, body: JSON.stringify({ scopes: ["read"] }) });
  if (issued.status !== 201) throw new Error(`issuing a key to ${principalId}: ${issued.status} ${await issued.text()}`);
  return { principalId, keyId: ((await issued.json()) as { keyId: string }).keyId };
}

/** The harness's settings, plus the two operations pinned to the disposable principal and key. */
function configWith(targets: DisposableTargets, dir: string): string {
  const file = join(dir, "schemathesis.toml");
  const pinned = [
    ``,
    `# Added by test/apiFuzz.schemathesis.test.ts: never disable the fuzzer's own principal nor revoke its key.`,
    `[[operations]]`,
    `include-name = "POST /principals/{principalId}/disable"`,
    `parameters = { "path.principalId" = "${targets.principalId}" }`,
    ``,
    `[[operations]]`,
    `include-name = "POST /keys/{keyId}/revoke"`,
    `parameters = { "path.keyId" = "${targets.keyId}" }`,
    ``,
  ];
  writeFileSync(file, readFileSync(join(schemathesisHarnessDir, "schemathesis.toml"), "utf8") + pinned.join("\n"));
  return file;
}

describe("API fuzzing with Schemathesis", () => {
  let tool: PythonTool;
  let server: ServerProcess;
  let targets: DisposableTargets;

  beforeAll(async () => {
    tool = await ensureSchemathesis();
    // Rate limits off: Schemathesis sends thousands of requests as one principal, and a run of 429s would test nothing.
    server = await startServerProcess({ env: { MEMLEDGER_RATE_LIMIT: "off" } });
    targets = await disposableTargets(server.baseUrl, server.adminKey());
  }, 10 * 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  it(
    "hardening (fuzzer): every operation, fuzzed with a fixed seed, answers no 5xx and only declared statuses, content types and schemas",
    async () => {
      const started = Date.now();
      // As the first admin (every role of tenant default), so every operation is reached past authentication.
      let { code, output } = await runSchemathesis(tool, `${server.baseUrl}/openapi.json`, seed, server.adminKey(), targets);
      // A crash inside the fuzzer itself says nothing about the API; run once more, and say so. A finding never reruns.
      // (The crash seen so far, Hypothesis's "AST constructor recursion depth mismatch", is a CPython 3.11.2 thread race
      // that test/harness/schemathesis/run_schemathesis.py now works around.)
      if (code !== 0 && onlyFuzzerCrashes(output)) {
        console.log(`Schemathesis crashed inside its own code (no finding about the API); running it once more:\n${reportOf(output).slice(0, 2_000)}`);
        ({ code, output } = await runSchemathesis(tool, `${server.baseUrl}/openapi.json`, seed, server.adminKey(), targets));
      }
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const summary = summaryOf(output);
      console.log(`Schemathesis (${tool.installedBy}), seed ${seed}: ${summary.operations}; ${summary.cases}; ${seconds} s`);
      const serverErrors = server.errorLines();
      if (code !== 0 || serverErrors.length > 0) {
        throw new Error(
          `Schemathesis exited with ${code} after ${seconds} s (seed ${seed}); its report:\n${reportOf(output)}\n\n` +
            `server errors logged (${serverErrors.length}):\n${serverErrors.slice(-20).join("\n")}\n\neach failure above has a curl line that reproduces it against a running server (npm start)`,
        );
      }
      expect(summary.tested).toBe(summary.total);
      // The run kept its credential to the end: no operation answered only 401s.
      expect(output).not.toMatch(/Authentication failed/);
      expect((await fetch(`${server.baseUrl}/me`, { headers: { authorization: `Bearer ${server.adminKey()}` } })).status).toBe(200);
    },
    fuzzBudgetMs + 60_000,
  );
});

function runSchemathesis(tool: PythonTool, schemaUrl: string, seed: number, apiKey: string, targets: DisposableTargets): Promise<{ code: number | null; output: string }> {
  // Its own working directory: nothing it writes lands in the repository.
  const cwd = mkdtempSync(join(tmpdir(), "schemathesis-run-"));
  // Through a wrapper that works around a thread race in CPython 3.11.2's AST constructor (its docstring says why).
  const args = [join(schemathesisHarnessDir, "run_schemathesis.py"), "--config-file", configWith(targets, cwd), "run", schemaUrl, "--seed", String(seed), "--no-color", "--header", `Authorization: Bearer ${apiKey}`];
  const child = spawn(tool.python, args, { cwd, env: { ...process.env, ...tool.env, PYTHONUNBUFFERED: "1", SCHEMATHESIS_TELEMETRY: "false" }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk) => (output += String(chunk)));
  child.stderr.on("data", (chunk) => (output += String(chunk)));
  const timer = setTimeout(() => child.kill("SIGKILL"), fuzzBudgetMs + 30_000);
  return new Promise((resolve) => {
    child.once("close", (code) => {
      clearTimeout(timer);
      rmSync(cwd, { recursive: true, force: true });
      resolve({ code, output });
    });
  });
}

/**
 * True when the run reports no failure of any check, only errors whose traceback runs inside Schemathesis's or
 * Hypothesis's own code ("Runtime Error"): the tool broke, the API was not found wanting.
 */
function onlyFuzzerCrashes(output: string): boolean {
  if (/^=+ FAILURES =+$/m.test(output)) return false;
  const errors = /^=+ ERRORS =+$/m.exec(output);
  if (errors === null) return false;
  const blocks = output.slice(errors.index).split(/^_{5,} .+ _{5,}$/m).slice(1);
  return blocks.length > 0 && blocks.every((block) => /Runtime Error/.test(block) && /site-packages\/(hypothesis|schemathesis)\//.test(block) && !/\[5\d\d\]/.test(block));
}

/** From the FAILURES/ERRORS sections on: what Schemathesis found, with curl lines to reproduce. */
function reportOf(output: string): string {
  const start = output.search(/^=+ (ERRORS|FAILURES|WARNINGS) =+$/m);
  const report = start >= 0 ? output.slice(start) : output;
  return report.length > 40_000 ? `${report.slice(0, 20_000)}\n…\n${report.slice(-20_000)}` : report;
}

function summaryOf(output: string): { operations: string; cases: string; tested: number; total: number } {
  const selected = /Selected: (\d+)\/(\d+)/.exec(output);
  const tested = /Tested: (\d+)/.exec(output);
  const cases = /Test cases:\s*\n\s*(.+)/.exec(output);
  return {
    operations: `${tested?.[1] ?? "?"} of ${selected?.[2] ?? "?"} operations tested`,
    cases: cases?.[1]?.trim() ?? "no test case count",
    tested: Number(tested?.[1] ?? Number.NaN),
    total: Number(selected?.[2] ?? 0),
  };
}
