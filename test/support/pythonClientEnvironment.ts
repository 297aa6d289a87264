import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ensurePinnedRequirements, repoRoot, runTool, type PythonEnvironment } from "./pinnedPythonTools.js";

/**
 * The Python client (clients/python) and its pinned test dependencies
 * (clients/python/requirements-test.txt: httpx, pytest, pytest-asyncio, and
 * hatchling to build the package) installed into .cache/ the way every Python
 * tool of the tests is (test/support/pinnedPythonTools.ts); the package itself
 * is reinstalled whenever one of its files changed.
 */
export const pythonClientDir = join(repoRoot, "clients", "python");
export type { PythonEnvironment };

export async function ensurePythonClient(): Promise<PythonEnvironment> {
  const { environment, installDir } = await ensurePinnedRequirements({
    requirementsPath: join(pythonClientDir, "requirements-test.txt"),
    cacheName: "python-client",
    neededBy: "the Python client test",
  });
  await installPackage(installDir, environment);
  return environment;
}

/** The package itself, without build isolation (hatchling is pinned and installed) so no index is asked at test time. */
async function installPackage(installDir: string, environment: PythonEnvironment): Promise<void> {
  const sources = packageDigest();
  const marker = join(installDir, ".package");
  if (existsSync(marker) && readFileSync(marker, "utf8") === sources) return;
  const target = environment.installedBy === "pip --target" ? ["--target", environment.env.PYTHONPATH!, "--upgrade"] : [];
  await runTool(
    environment.python,
    ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-build-isolation", "--no-deps", "--force-reinstall", ...target, pythonClientDir],
    "install the memledger Python client (clients/python)",
    environment.env,
  );
  writeFileSync(marker, sources);
}

function packageDigest(): string {
  const hash = createHash("sha256");
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (name === "__pycache__") continue;
      if (statSync(path).isDirectory()) walk(path);
      else hash.update(relative(pythonClientDir, path)).update(readFileSync(path));
    }
  };
  walk(join(pythonClientDir, "src"));
  hash.update(readFileSync(join(pythonClientDir, "pyproject.toml")));
  return hash.digest("hex");
}
