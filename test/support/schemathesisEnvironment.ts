import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";

/**
 * Schemathesis (the OpenAPI fuzzer, a Python tool) installed by the test itself
 * into .cache/, from the pinned list in test/harness/schemathesis/requirements.txt:
 * a virtualenv when `python3 -m venv` works, else `pip install --target` (Debian
 * without python3-venv), else, as root with apt-get (CI), python3-venv and
 * python3-pip from apt and a virtualenv again. A marker written after a full install makes later runs
 * skip pip; changing the pinned list installs afresh.
 */
const repoRoot = process.cwd();
export const schemathesisHarnessDir = join(repoRoot, "test", "harness", "schemathesis");
const requirementsPath = join(schemathesisHarnessDir, "requirements.txt");

export interface PythonTool {
  /** The interpreter to run `-m schemathesis.cli` with. */
  readonly python: string;
  /** Extra environment (PYTHONPATH for a --target install). */
  readonly env: Readonly<Record<string, string>>;
  /** How it was installed, for the report. */
  readonly installedBy: "venv" | "pip --target";
}

export function ensureSchemathesis(): PythonTool {
  const requirements = readFileSync(requirementsPath, "utf8");
  const digest = createHash("sha256").update(requirements).digest("hex").slice(0, 12);
  const installDir = join(repoRoot, ".cache", `schemathesis-${digest}`);
  const marker = join(installDir, ".complete");
  if (existsSync(marker)) return JSON.parse(readFileSync(marker, "utf8")) as PythonTool;

  const python3 = findPython();
  rmSync(installDir, { recursive: true, force: true }); // without a marker it is a leftover, never a finished install
  mkdirSync(installDir, { recursive: true });
  let tool = installInto(installDir, python3);
  if (tool instanceof Error && canInstallSystemPackages()) {
    // CI runs as root on Debian/Ubuntu, where venv and pip are packages of their own.
    run("apt-get", ["update", "-qq"], "refresh the apt package lists");
    run("apt-get", ["install", "-y", "-qq", "python3-venv", "python3-pip"], "install python3-venv and python3-pip with apt-get");
    tool = installInto(installDir, python3);
  }
  if (tool instanceof Error) throw tool;
  run(tool.python, ["-m", "schemathesis.cli", "--version"], "start the installed Schemathesis", tool.env);
  writeFileSync(marker, JSON.stringify(tool));
  return tool;
}

/** A virtualenv, else `pip install --target`; the error says why neither worked. */
function installInto(installDir: string, python3: string): PythonTool | Error {
  const venvDir = join(installDir, "venv");
  const venv = spawnSync(python3, ["-m", "venv", venvDir], { encoding: "utf8", timeout: 120_000 });
  if (venv.status === 0 && existsSync(join(venvDir, "bin", "python"))) {
    const python = join(venvDir, "bin", "python");
    run(python, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", requirementsPath], "install Schemathesis into the virtualenv");
    return { python, env: {}, installedBy: "venv" };
  }
  // Debian/Ubuntu ship venv separately (python3-venv); pip alone can still install into a plain directory.
  rmSync(venvDir, { recursive: true, force: true });
  const target = join(installDir, "site-packages");
  try {
    run(python3, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--target", target, "-r", requirementsPath], "install Schemathesis with pip --target");
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
  throw new Error("the API fuzz test needs Python 3.9+ on the PATH (python3) to install Schemathesis; install it (e.g. apt-get install python3 python3-pip) and run again");
}

function run(command: string, args: readonly string[], purpose: string, env: Readonly<Record<string, string>> = {}): void {
  const result = spawnSync(command, args, { cwd: repoRoot, encoding: "utf8", timeout: 600_000, env: { ...process.env, ...env } });
  if (result.error || result.status !== 0) {
    const output = `${result.stdout ?? ""}${result.stderr ?? ""}`.trim().split("\n").slice(-40).join("\n");
    throw new Error(`cannot ${purpose}: \`${command} ${args.join(" ")}\` failed (${result.error ? String(result.error) : `exit code ${result.status}`}).\n${output}`);
  }
}
