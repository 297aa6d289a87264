import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

/**
 * The Python client (clients/python) and its pinned test dependencies
 * (clients/python/requirements-test.txt: httpx, pytest, pytest-asyncio, and
 * hatchling to build the package) installed into .cache/, with the fallbacks of
 * test/support/schemathesisEnvironment.ts: a virtualenv when `python3 -m venv`
 * works, else `pip install --target`, else, as root with apt-get (CI),
 * python3-venv and python3-pip from apt and a virtualenv again. The
 * dependencies are cached by a hash of the pinned list; the package itself is
 * reinstalled whenever one of its files changed.
 */
const repoRoot = process.cwd();
export const pythonClientDir = join(repoRoot, "clients", "python");
const requirementsPath = join(pythonClientDir, "requirements-test.txt");

export interface PythonEnvironment {
  readonly python: string;
  /** PYTHONPATH for a --target install. */
  readonly env: Readonly<Record<string, string>>;
  readonly installedBy: "venv" | "pip --target";
}

export async function ensurePythonClient(): Promise<PythonEnvironment> {
  const digest = createHash("sha256").update(readFileSync(requirementsPath, "utf8")).digest("hex").slice(0, 12);
  const installDir = join(repoRoot, ".cache", `python-client-${digest}`);
  const marker = join(installDir, ".complete");
  let environment: PythonEnvironment;
  if (existsSync(marker)) environment = JSON.parse(readFileSync(marker, "utf8")) as PythonEnvironment;
  else {
    const python3 = findPython();
    rmSync(installDir, { recursive: true, force: true }); // without a marker it is a leftover, never a finished install
    mkdirSync(installDir, { recursive: true });
    let installed = await installInto(installDir, python3);
    if (installed instanceof Error && canInstallSystemPackages()) {
      await run("apt-get", ["update", "-qq"], "refresh the apt package lists");
      await run("apt-get", ["install", "-y", "-qq", "python3-venv", "python3-pip"], "install python3-venv and python3-pip with apt-get");
      installed = await installInto(installDir, python3);
    }
    if (installed instanceof Error) throw installed;
    environment = installed;
    writeFileSync(marker, JSON.stringify(environment));
  }
  await installPackage(installDir, environment);
  return environment;
}

/** The package itself, without build isolation (hatchling is pinned and installed) so no index is asked at test time. */
async function installPackage(installDir: string, environment: PythonEnvironment): Promise<void> {
  const sources = packageDigest();
  const marker = join(installDir, ".package");
  if (existsSync(marker) && readFileSync(marker, "utf8") === sources) return;
  const target = environment.installedBy === "pip --target" ? ["--target", environment.env.PYTHONPATH!, "--upgrade"] : [];
  await run(
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

async function installInto(installDir: string, python3: string): Promise<PythonEnvironment | Error> {
  const venvDir = join(installDir, "venv");
  const venv = spawnSync(python3, ["-m", "venv", venvDir], { encoding: "utf8", timeout: 120_000 });
  if (venv.status === 0 && existsSync(join(venvDir, "bin", "python"))) {
    const python = join(venvDir, "bin", "python");
    await run(python, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", requirementsPath], "install the Python client's test dependencies into the virtualenv");
    return { python, env: {}, installedBy: "venv" };
  }
  rmSync(venvDir, { recursive: true, force: true });
  const target = join(installDir, "site-packages");
  try {
    await run(python3, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--target", target, "-r", requirementsPath], "install the Python client's test dependencies with pip --target");
  } catch (error) {
    const venvError = `${venv.stderr ?? ""}`.trim().split("\n").slice(-3).join("\n");
    return new Error(`${(error as Error).message}\n(\`${python3} -m venv\` failed first: ${venvError || `exit code ${venv.status}`}; install python3-venv or python3-pip)`);
  }
  return { python: python3, env: { PYTHONPATH: target }, installedBy: "pip --target" };
}

function canInstallSystemPackages(): boolean {
  return process.getuid?.() === 0 && spawnSync("apt-get", ["--version"], { encoding: "utf8" }).status === 0;
}

function findPython(): string {
  for (const candidate of ["python3", "python"]) {
    const probe = spawnSync(candidate, ["-c", "import sys; print(sys.version_info >= (3, 9))"], { encoding: "utf8" });
    if (probe.status === 0 && probe.stdout.trim() === "True") return candidate;
  }
  throw new Error("the Python client test needs Python 3.9+ on the PATH (python3); install it (e.g. apt-get install python3 python3-pip) and run again");
}

/** A command run without blocking the test worker (a pip install takes tens of seconds; a blocked worker loses its link to vitest). */
function run(command: string, args: readonly string[], purpose: string, env: Readonly<Record<string, string>> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repoRoot, env: { ...process.env, ...env } });
    let output = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 600_000);
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const fail = (why: string) => reject(new Error(`cannot ${purpose}: \`${command} ${args.join(" ")}\` failed (${why}).\n${output.trim().split("\n").slice(-40).join("\n")}`));
    child.on("error", (error) => (clearTimeout(timer), fail(String(error))));
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else fail(signal ? `killed by ${signal}` : `exit code ${code}`);
    });
  });
}
