import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Python tools a test needs (Schemathesis, the Python client's test dependencies), installed by the test itself
 * into .cache/<name>-<hash of the pinned list>: a virtualenv when `python3 -m venv` works, else
 * `pip install --target` (Debian without python3-venv), else, as root with apt-get (CI), python3-venv and
 * python3-pip from apt and a virtualenv again. A marker written after a full install makes later runs skip pip;
 * changing the pinned list installs afresh.
 */
export const repoRoot = process.cwd();

export interface PythonEnvironment {
  /** The interpreter to run the tools with. */
  readonly python: string;
  /** Extra environment (PYTHONPATH for a --target install). */
  readonly env: Readonly<Record<string, string>>;
  /** How it was installed, for the report. */
  readonly installedBy: "venv" | "pip --target";
}

export interface PinnedRequirements {
  /** The pinned list, e.g. test/harness/schemathesis/requirements.txt. */
  readonly requirementsPath: string;
  /** The cache directory's prefix under .cache/. */
  readonly cacheName: string;
  /** What it is for, in the errors: "the API fuzz test", "the Python client test". */
  readonly neededBy: string;
  /** Run once after a fresh install, before the marker is written (e.g. start the tool once). */
  readonly check?: (environment: PythonEnvironment) => Promise<void>;
}

export interface InstalledRequirements {
  readonly environment: PythonEnvironment;
  /** The cache directory, for installs of the caller's own on top. */
  readonly installDir: string;
}

export async function ensurePinnedRequirements(pinned: PinnedRequirements): Promise<InstalledRequirements> {
  const digest = createHash("sha256").update(readFileSync(pinned.requirementsPath, "utf8")).digest("hex").slice(0, 12);
  const installDir = join(repoRoot, ".cache", `${pinned.cacheName}-${digest}`);
  const marker = join(installDir, ".complete");
  if (existsSync(marker)) return { environment: JSON.parse(readFileSync(marker, "utf8")) as PythonEnvironment, installDir };

  const python3 = findPython(pinned.neededBy);
  rmSync(installDir, { recursive: true, force: true }); // without a marker it is a leftover, never a finished install
  mkdirSync(installDir, { recursive: true });
  let installed = await installInto(installDir, python3, pinned);
  if (installed instanceof Error && canInstallSystemPackages()) {
    // CI runs as root on Debian/Ubuntu, where venv and pip are packages of their own.
    await runTool("apt-get", ["update", "-qq"], "refresh the apt package lists");
    await runTool("apt-get", ["install", "-y", "-qq", "python3-venv", "python3-pip"], "install python3-venv and python3-pip with apt-get");
    installed = await installInto(installDir, python3, pinned);
  }
  if (installed instanceof Error) throw installed;
  await pinned.check?.(installed);
  writeFileSync(marker, JSON.stringify(installed));
  return { environment: installed, installDir };
}

/** A virtualenv, else `pip install --target`; the error says why neither worked. */
async function installInto(installDir: string, python3: string, pinned: PinnedRequirements): Promise<PythonEnvironment | Error> {
  const pip = ["-m", "pip", "install", "--quiet", "--disable-pip-version-check"];
  const venvDir = join(installDir, "venv");
  const venv = spawnSync(python3, ["-m", "venv", venvDir], { encoding: "utf8", timeout: 120_000 });
  if (venv.status === 0 && existsSync(join(venvDir, "bin", "python"))) {
    const python = join(venvDir, "bin", "python");
    await runTool(python, [...pip, "-r", pinned.requirementsPath], `install the pinned packages of ${pinned.neededBy} into a virtualenv`);
    return { python, env: {}, installedBy: "venv" };
  }
  rmSync(venvDir, { recursive: true, force: true });
  const target = join(installDir, "site-packages");
  try {
    await runTool(python3, [...pip, "--target", target, "-r", pinned.requirementsPath], `install the pinned packages of ${pinned.neededBy} with pip --target`);
  } catch (error) {
    const venvError = `${venv.stderr ?? ""}`.trim().split("\n").slice(-3).join("\n");
    return new Error(`${(error as Error).message}\n(\`${python3} -m venv\` failed first: ${venvError || `exit code ${venv.status}`}; install python3-venv or python3-pip)`);
  }
  return { python: python3, env: { PYTHONPATH: target }, installedBy: "pip --target" };
}

function canInstallSystemPackages(): boolean {
  return process.getuid?.() === 0 && spawnSync("apt-get", ["--version"], { encoding: "utf8" }).status === 0;
}

function findPython(neededBy: string): string {
  for (const candidate of ["python3", "python"]) {
    const probe = spawnSync(candidate, ["-c", "import sys; print(sys.version_info >= (3, 9))"], { encoding: "utf8" });
    if (probe.status === 0 && probe.stdout.trim() === "True") return candidate;
  }
  throw new Error(`${neededBy} needs Python 3.9+ on the PATH (python3); install it (e.g. apt-get install python3 python3-pip) and run again`);
}

/** A command run without blocking the test worker (a pip install takes tens of seconds; a blocked worker loses its link to vitest). */
export function runTool(command: string, args: readonly string[], purpose: string, env: Readonly<Record<string, string>> = {}): Promise<void> {
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
