import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
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

describe("API fuzzing with Schemathesis", () => {
  let tool: PythonTool;
  let server: ServerProcess;

  beforeAll(async () => {
    tool = ensureSchemathesis();
    server = await startServerProcess();
  }, 10 * 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  it(
    "hardening (fuzzer): every operation, fuzzed with a fixed seed, answers no 5xx and only declared statuses, content types and schemas",
    async () => {
      const started = Date.now();
      const { code, output } = await runSchemathesis(tool, `${server.baseUrl}/openapi.json`, seed);
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
    },
    fuzzBudgetMs + 60_000,
  );
});

function runSchemathesis(tool: PythonTool, schemaUrl: string, seed: number): Promise<{ code: number | null; output: string }> {
  // Its own working directory: nothing it writes lands in the repository.
  const cwd = mkdtempSync(join(tmpdir(), "schemathesis-run-"));
  const args = ["-m", "schemathesis.cli", "--config-file", join(schemathesisHarnessDir, "schemathesis.toml"), "run", schemaUrl, "--seed", String(seed), "--no-color"];
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
