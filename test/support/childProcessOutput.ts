import type { ChildProcess } from "node:child_process";

/** Resolves with the first stdout line starting with `prefix`; rejects with everything the child said if it exits first. */
export function lineFrom(child: ChildProcess, prefix: string, timeoutMs: number): Promise<string> {
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the worker process did not print "${prefix}" within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    child.stderr?.on("data", (chunk) => (output += String(chunk)));
    child.stdout?.on("data", (chunk) => {
      output += String(chunk);
      const line = output.split("\n").find((l) => l.startsWith(prefix));
      if (line) (clearTimeout(timer), resolve(line));
    });
    child.once("exit", (code, signal) => (clearTimeout(timer), reject(new Error(`the worker process exited early (${code ?? signal}):\n${output}`))));
  });
}
