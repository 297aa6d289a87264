import { spawnSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServerProcess, type ServerProcess } from "./support/serverProcess.js";

/**
 * The README's curl tour, run as written (bash + curl) against the real
 * server started the way `npm start` starts it: the first credential must be
 * where the README says, and every step must answer what its comment says.
 */
const tourBlocks = (): string[] => {
  const readme = readFileSync("README.md", "utf8");
  const tour = readme.slice(readme.indexOf("## A five-minute tour (curl)"), readme.indexOf("### Vector search with a local model"));
  return [...tour.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
};

describe("the README tour", () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServerProcess();
  }, 90_000);
  afterAll(async () => {
    await server?.stop();
  });

  it("finds the first admin key where the start log says, readable by its owner only, and never logs the key", () => {
    const keyFile = join(server.dataDir, "admin.key");
    expect(server.logTail(200)).toContain(keyFile);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const key = readFileSync(keyFile, "utf8").trim();
    expect(key).toMatch(/^mlk\.default\./);
    expect(server.logTail(10_000)).not.toContain(key.split(".")[3]);
  });

  it("runs every step: only the refusals the README announces, nothing else fails", () => {
    const blocks = tourBlocks();
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    const host = server.baseUrl.replace(/^http:\/\//, "");
    // The live feed (`curl -sN`) never ends by itself: the one step left out.
    const script = blocks
      .join("\n")
      .split("\n")
      .filter((line) => !line.includes("curl -sN"))
      .join("\n")
      .replaceAll("localhost:8080", host)
      .replaceAll("data/admin.key", join(server.dataDir, "admin.key"))
      .replace("sleep 1", "sleep 0.2");
    const run = spawnSync("bash", ["-euo", "pipefail", "-c", script], { encoding: "utf8", timeout: 120_000 });
    const output = `${run.stdout}\n${run.stderr}`;
    expect(run.status, output).toBe(0);
    const errors = [...output.matchAll(/"error":"([A-Za-z]+)"/g)].map((m) => m[1]);
    // Step 13: Bob archiving (write) and reading cube bob; step 15: Bob's revoked key; step 17: erasing under a legal hold.
    expect(errors, output).toEqual(["Forbidden", "Forbidden", "Unauthenticated", "LegalHoldActive"]);
    expect(output).toContain('"ok":true'); // step 16: the log verifies
    expect(output).toContain("[NAME] wrote from [EMAIL]"); // step 21: masked before it was written
    expect(output).not.toContain("bob@example.com\"");
    expect(output).toContain('"actor":"principal:admin"');
    expect(output).toContain('"status":"erased"');
    expect(server.errorLines()).toEqual([]);
  }, 150_000);
});
