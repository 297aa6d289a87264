import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { chromium, type Browser, type Page } from "playwright-core";
import { openMemLedger, type MemLedger } from "../../src/app/memLedger.js";
import { buildServer } from "../../src/server/buildServer.js";

/** Debian's chromium, installed by scripts/ensure-chromium.sh when missing (as root), else a failure saying what to install. */
export function chromiumPath(): string {
  return execFileSync("bash", [join(import.meta.dirname, "..", "..", "scripts", "ensure-chromium.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
}

export interface ViewerScenario {
  readonly baseUrl: string;
  readonly adminKey: string;
  readonly ledger: MemLedger;
  readonly browser: Browser;
  /** A fresh page, 1280×860. */
  page(): Promise<Page>;
  close(): Promise<void>;
}

/**
 * A real server on a loopback port with a small garden cube: one memory edited
 * twice (so it has versions to compare and revert), others mentioning the same
 * people (so the graph has neighbours), one merged into another, one archived,
 * a legal hold; and a headless Chromium.
 */
export async function startViewerScenario(): Promise<ViewerScenario> {
  const executablePath = chromiumPath();
  const dir = mkdtempSync(join(tmpdir(), "viewer-"));
  const ledger = await openMemLedger({ dataDir: dir, worker: false, readAudit: { mode: "sync" } });
  const { keyFile } = await ledger.bootstrapAdmin(join(dir, "admin.key"));
  const adminKey = readFileSync(keyFile, "utf8").trim();
  const ctx = (reason: string) => ({ tenantId: "default", actor: "user:alice", reason });
  await ledger.cubes.create({ cubeId: "garden", name: "Alice's garden", owner: { kind: "user", id: "alice" } }, ctx("a new cube"));
  await ledger.memories.create({ memoryId: "watering", cubeId: "garden", text: "Alice waters the tomatoes every morning", tags: ["tomatoes"] }, ctx("first note"));
  await ledger.memories.create({ memoryId: "roses", cubeId: "garden", text: "Bob prunes the roses with Alice in March", tags: ["roses"] }, ctx("Bob told us"));
  await ledger.memories.edit("watering", { content: { text: "Alice waters the tomatoes every evening" } }, ctx("she changed her habit"));
  await ledger.memories.edit("watering", { content: { text: "Alice waters the tomatoes every evening with rain water" } }, ctx("detail added"));
  await ledger.memories.create({ memoryId: "compost", cubeId: "garden", text: "Alice turns the compost on Sundays", tags: ["compost"] }, ctx("seen"));
  await ledger.memories.create({ memoryId: "compost-old", cubeId: "garden", text: "Alice turns the compost on Saturdays", tags: ["compost"] }, ctx("seen earlier"));
  await ledger.memories.merge("compost-old", "compost", ctx("the same habit, day corrected"));
  await ledger.memories.create({ memoryId: "shed", cubeId: "garden", text: "The shed key hangs by the door" }, ctx("seen"));
  await ledger.memories.archive("shed", ctx("the shed was sold"));
  await ledger.holds.place({ scope: { kind: "memory", id: "shed" }, reason: "dispute with the neighbour" }, ctx("counsel asked"));
  await ledger.readModels.catchUp(10_000);
  const app: FastifyInstance = await buildServer(ledger, { rateLimit: false });
  const baseUrl = await app.listen({ host: "127.0.0.1", port: 0 });
  // Running as root (CI, containers) needs --no-sandbox.
  const browser = await chromium.launch({ executablePath, headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
  return {
    baseUrl,
    adminKey,
    ledger,
    browser,
    page: () => browser.newPage({ viewport: { width: 1280, height: 860 } }),
    close: async () => {
      const step = async (what: string, done: Promise<unknown>) => {
        const started = Date.now();
        await done;
        if (Date.now() - started > 5_000) console.warn(`viewer scenario: ${what} took ${Date.now() - started} ms`);
      };
      await step("closing the browser", browser.close());
      // The live feed's stream stays open until the server drops it.
      app.server.closeAllConnections();
      await step("closing the server", app.close());
      await step("closing the ledger", ledger.close());
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Opens /ui and logs in with the key, as a person would. */
export async function logIn(page: Page, scenario: ViewerScenario): Promise<void> {
  await page.goto(`${scenario.baseUrl}/ui`);
  await page.getByLabel("API key").fill(scenario.adminKey);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByText("admin (").waitFor();
}
