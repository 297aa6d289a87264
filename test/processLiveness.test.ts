import { spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { currentProcess, processState } from "../src/jobs/processLiveness.js";
import { lineFrom } from "./support/childProcessOutput.js";

const children: Array<() => void> = [];
afterEach(() => {
  for (const kill of children.splice(0)) kill();
});

describe("process liveness for worker identities (hardening #12)", () => {
  it("hardening #12: this process runs; a pid that now belongs to a process started at another time is gone; another host is unknown", () => {
    const here = currentProcess();
    expect(processState(here)).toBe("running");
    expect(processState({ ...here, start: `${here.start}-earlier` })).toBe(process.platform === "linux" ? "gone" : "running");
    expect(processState({ ...here, host: `${here.host}-other` })).toBe("unknown");
  });

  it("hardening #12: a killed process that its parent has not reaped yet (a zombie) is gone", async () => {
    if (process.platform !== "linux") return;
    // sh starts a child that exits at once, then becomes `sleep`, which never reaps it.
    const parent = spawn("sh", ["-c", "sleep 0 & echo ZOMBIE $!; exec sleep 30"], { stdio: ["ignore", "pipe", "pipe"] });
    children.push(() => parent.kill("SIGKILL"));
    const pid = Number((await lineFrom(parent, "ZOMBIE", 10_000)).split(" ")[1]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(processState({ host: currentProcess().host, pid, start: null })).toBe("gone");
  });
});
