import { join } from "node:path";
import { ensurePinnedRequirements, repoRoot, runTool, type PythonEnvironment } from "./pinnedPythonTools.js";

/**
 * Schemathesis (the OpenAPI fuzzer, a Python tool) installed by the test itself into .cache/, from the pinned
 * list in test/harness/schemathesis/requirements.txt (how: test/support/pinnedPythonTools.ts).
 */
export const schemathesisHarnessDir = join(repoRoot, "test", "harness", "schemathesis");

/** The interpreter to run `-m schemathesis.cli` with, and its environment. */
export type PythonTool = PythonEnvironment;

export async function ensureSchemathesis(): Promise<PythonTool> {
  const { environment } = await ensurePinnedRequirements({
    requirementsPath: join(schemathesisHarnessDir, "requirements.txt"),
    cacheName: "schemathesis",
    neededBy: "the API fuzz test",
    check: (tool) => runTool(tool.python, ["-m", "schemathesis.cli", "--version"], "start the installed Schemathesis", tool.env),
  });
  return environment;
}
