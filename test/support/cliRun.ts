import { runCli } from "../../src/cli/main.js";

/** What one CLI invocation printed and its exit code. */
export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** The CLI in process, its output captured: as a user's shell would see it, without spawning a process per call. */
export async function runCliCaptured(args: readonly string[]): Promise<CliRun> {
  let out = "";
  let err = "";
  const code = await runCli(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}
