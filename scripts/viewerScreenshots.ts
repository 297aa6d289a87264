/**
 * `npm run viewer:screenshots`: one PNG per view of the web viewer in
 * docs/viewer/, taken with the browser the tests use (Debian's chromium via
 * playwright-core) on the same seeded server as test/viewer.e2e.test.ts.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { logIn, startViewerScenario } from "../test/support/viewerScenario.js";

const out = join(import.meta.dirname, "..", "docs", "viewer");
mkdirSync(out, { recursive: true });
const scenario = await startViewerScenario();
const shot = async (page: Page, name: string) => {
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(out, `${name}.png`), fullPage: false });
  console.log(`docs/viewer/${name}.png`);
};
try {
  const page = await scenario.page();
  await page.goto(`${scenario.baseUrl}/ui/`);
  await page.getByLabel("API key").waitFor();
  await shot(page, "login");
  await logIn(page, scenario);
  await page.getByText("garden").first().waitFor();
  await shot(page, "cubes");
  await page.goto(`${scenario.baseUrl}/ui/#/cubes/garden`);
  await page.getByLabel("archived").check();
  await page.getByTestId("memories").waitFor();
  await shot(page, "cube-memories");
  await page.goto(`${scenario.baseUrl}/ui/#/memories/watering`);
  await page.getByLabel("compare revision 1", { exact: true }).check();
  await page.getByLabel("compare revision 3", { exact: true }).check();
  await page.getByTestId("text-diff").waitFor();
  await shot(page, "memory-timeline-diff");
  await page.getByRole("button", { name: "Revert to 1" }).click();
  await page.getByTestId("revert-dialog").getByLabel("reason").fill("the evening note was a mistake");
  await shot(page, "memory-revert");
  await page.goto(`${scenario.baseUrl}/ui/#/cubes/garden/time`);
  await page.getByLabel("moment").fill("4");
  await page.getByTestId("as-of").waitFor();
  await shot(page, "time-machine");
  await page.goto(`${scenario.baseUrl}/ui/#/search`);
  await page.getByLabel("query").fill("Alice compost");
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByTestId("results").waitFor();
  await shot(page, "search");
  await page.goto(`${scenario.baseUrl}/ui/#/memories/compost/graph`);
  await page.waitForFunction(() => (globalThis as unknown as { __viewerGraph?: unknown }).__viewerGraph !== undefined);
  await shot(page, "graph");
  await page.goto(`${scenario.baseUrl}/ui/#/operations`);
  await page.getByTestId("feed").getByText("MemoryArchived").first().waitFor();
  await shot(page, "operations");
  await page.goto(`${scenario.baseUrl}/ui/#/governance`);
  await page.getByTestId("holds").waitFor();
  await shot(page, "governance");
} finally {
  await scenario.close();
}
