import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectMemLedger } from "../src/client/index.js";
import { ensurePythonClient, pythonClientDir, type PythonEnvironment } from "./support/pythonClientEnvironment.js";
import { startServerProcess, type ServerProcess } from "./support/serverProcess.js";

/**
 * The Python client (clients/python) runs its own pytest suite against a real
 * server: `src/server/main.ts` in a child process on a fresh data directory,
 * the admin key it wrote, and a read-only key made here (a principal with the
 * tenant role reader, its key scoped read) for the 403 cases.
 */
describe("the Python client against a real server", () => {
  let server: ServerProcess;
  let python: PythonEnvironment;
  let readerKey: string;

  beforeAll(async () => {
    python = await ensurePythonClient();
    // Rate limits off: the suite's requests come fast from one address.
    server = await startServerProcess({ env: { MEMLEDGER_RATE_LIMIT: "off" } });
    const admin = await connectMemLedger(server.baseUrl, { apiKey: server.adminKey() });
    await admin.governance.createPrincipal({ principalId: "py-reader", kind: "user", roles: ["reader"] });
    readerKey = (await admin.governance.issueKey("py-reader", { scopes: ["read"] })).token;
    await admin.close();
  }, 600_000);

  afterAll(async () => {
    await server?.stop();
  });

  it("passes its pytest session (sync and async: cubes, add, search, edit with a revision, history, revert, 404, 403, retries)", async () => {
    const env = {
      ...process.env,
      ...python.env,
      MEMLEDGER_URL: server.baseUrl,
      MEMLEDGER_API_KEY: server.adminKey(),
      MEMLEDGER_READER_API_KEY: readerKey,
      PYTHONDONTWRITEBYTECODE: "1",
    };
    const { code, output } = await runPython(python, ["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], env);
    const summary = output.trim().split("\n").at(-1) ?? "";
    console.info(`pytest (${python.installedBy}): ${summary}`);
    expect(code, `${output}\n--- server log ---\n${server.logTail(40)}`).toBe(0);
    expect(summary).toMatch(/\d+ passed/);
    expect(summary).not.toMatch(/skipped|failed|error/);
  }, 120_000);

  it("is typed: mypy --strict finds nothing in the package", async () => {
    const { code, output } = await runPython(python, ["-m", "mypy", "--strict", "--no-incremental", "src/memledger"], { ...process.env, ...python.env });
    expect(code, output).toBe(0);
    expect(output).toContain("Success: no issues found");
  }, 120_000);
});

function runPython(python: PythonEnvironment, args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(python.python, args, { cwd: pythonClientDir, env });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("close", (exitCode) => resolve({ code: exitCode, output }));
  });
}
