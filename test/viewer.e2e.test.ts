import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { logIn, startViewerScenario, type ViewerScenario } from "./support/viewerScenario.js";

/**
 * The viewer at /ui in headless Chromium (Debian's package, driven by
 * playwright-core) against a real server: log in with the key, walk a
 * memory's history, diff, revert, slide a cube back in time, search, graph.
 */
describe("web viewer in a browser", () => {
  let scenario: ViewerScenario;
  let page: Page;
  beforeAll(async () => {
    scenario = await startViewerScenario();
    page = await scenario.page();
    // A missing element fails in seconds, with what the page showed, not at the test timeout.
    page.setDefaultTimeout(5_000);
    await logIn(page, scenario);
    // Generous: on a fresh machine the scenario may first install Debian's chromium (scripts/ensure-chromium.sh).
  }, 600_000);
  afterAll(async () => {
    await scenario?.close();
  });

  it("serves /ui without a key but every data call needs one", async () => {
    const asset = await fetch(`${scenario.baseUrl}/ui/app.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("content-type")).toContain("javascript");
    expect((await fetch(`${scenario.baseUrl}/ui/vendor/cytoscape.mjs`)).status).toBe(200);
    expect((await fetch(`${scenario.baseUrl}/ui/../package.json`)).status).toBe(404);
    expect((await fetch(`${scenario.baseUrl}/cubes`)).status).toBe(401);
    // The key lives in sessionStorage, never in a cookie or the URL.
    expect(await page.evaluate(() => (globalThis as unknown as { sessionStorage: { getItem(name: string): string | null } }).sessionStorage.getItem("memledger.apiKey"))).toBe(scenario.adminKey);
    const fresh = await scenario.page();
    await fresh.goto(`${scenario.baseUrl}/ui/`);
    await fresh.getByLabel("API key").fill("mlk.default.nope.wrong");
    await fresh.getByRole("button", { name: "Log in" }).click();
    await expect.poll(() => fresh.getByRole("alert").textContent()).toContain("401");
    await fresh.close();
  });

  it("lists cubes and a cube's memories, filtered by status and words", async () => {
    await page.getByRole("link", { name: "Cubes" }).click();
    await page.getByRole("link", { name: "garden", exact: true }).click();
    const table = page.getByTestId("memories");
    await expect.poll(() => table.textContent()).toContain("rain water");
    expect(await table.textContent()).not.toContain("shed key");
    await page.getByLabel("archived").check();
    await expect.poll(() => table.textContent()).toContain("shed key");
    await page.getByPlaceholder("filter by words or tag").fill("compost");
    await expect.poll(() => table.locator("tbody tr").count()).toBe(1);
  });

  it("shows a memory's versions with who, when and why, diffs two, and reverts with a reason after confirming", async () => {
    await page.goto(`${scenario.baseUrl}/ui/#/memories/watering`);
    const timeline = page.getByTestId("timeline");
    await expect.poll(() => timeline.textContent()).toContain("she changed her habit");
    expect(await timeline.textContent()).toContain("user:alice");
    const before = Number(await page.getByTestId("revision").textContent());
    await page.getByLabel("compare revision 1", { exact: true }).check();
    await page.getByLabel(`compare revision ${before}`, { exact: true }).check();
    const diff = page.getByTestId("text-diff");
    await expect.poll(() => diff.locator(".diff-delete").allTextContents()).toContain("morning");
    expect((await diff.locator(".diff-insert").allTextContents()).join("")).toContain("evening");

    await page.getByRole("button", { name: "Revert to 1" }).click();
    const dialog = page.getByTestId("revert-dialog");
    await dialog.getByLabel("reason").fill("the evening note was a mistake");
    await dialog.getByRole("button", { name: "Confirm revert" }).click();
    await expect.poll(() => page.getByTestId("memory-text").textContent()).toBe("Alice waters the tomatoes every morning");
    expect(Number(await page.getByTestId("revision").textContent())).toBe(before + 1);
    await expect.poll(() => timeline.textContent()).toContain("the evening note was a mistake");
    expect(await timeline.textContent()).toContain("to revision 1");
    const stored = await scenario.ledger.memories.get("watering");
    expect(stored.content?.text).toBe("Alice waters the tomatoes every morning");
  });

  it("slides a cube back in time and shows it as it was", async () => {
    await page.goto(`${scenario.baseUrl}/ui/#/cubes/garden/time`);
    const slider = page.getByLabel("moment");
    await slider.waitFor();
    const asOf = page.getByTestId("as-of");
    // Now: the revert is the latest moment, the text is back to "morning", the archived shed shows as archived.
    await expect.poll(() => asOf.textContent()).toContain("every morning");
    expect(await asOf.textContent()).toContain("archived");
    // The first moment: only the first memory, as first written.
    await slider.fill("0");
    await expect.poll(() => asOf.locator("tbody tr").count()).toBe(1);
    expect(await asOf.textContent()).toContain("Alice waters the tomatoes every morning");
    // Forward moment by moment to the first edit: the second memory exists by then, the second edit does not yet.
    let moment = 1;
    for (; moment < 20; moment += 1) {
      await slider.fill(String(moment));
      await expect.poll(() => page.getByTestId("moment").textContent()).toContain(`moment ${moment + 1} of`);
      await asOf.waitFor();
      if ((await asOf.textContent())?.includes("every evening")) break;
    }
    expect(await page.getByTestId("moment").textContent()).toContain("MemoryEdited of watering");
    expect(await asOf.textContent()).toContain("Bob prunes the roses");
    expect(await asOf.textContent()).not.toContain("rain water");

    // Branch a new cube from that moment: it holds the cube as the slider shows it.
    page.once("dialog", (dialog) => void dialog.accept("Garden before the rain water"));
    await page.getByRole("button", { name: "Branch a new cube from here" }).click();
    await page.getByText("branched:").waitFor();
    const branched = (await scenario.ledger.cubes.list()).find((c) => c.name === "Garden before the rain water");
    expect(branched).toBeDefined();
    const texts = (await scenario.ledger.cubes.memories(branched!.cubeId)).map((m) => m.content?.text).sort();
    expect(texts).toEqual(["Alice waters the tomatoes every evening", "Bob prunes the roses with Alice in March"]);
  });

  it("a principal with only read on the cube walks its past from the histories, and is shown the API's 403 for the audit and holds", async () => {
    await scenario.ledger.governance.createPrincipal({ principalId: "rita", kind: "user" });
    await scenario.ledger.governance.grantCube("garden", { kind: "principal", id: "rita" }, "read");
    const ritaKey = (await scenario.ledger.governance.issueKey("rita", { scopes: ["read"] })).token;
    const rita = await scenario.page();
    rita.setDefaultTimeout(5_000);
    await rita.goto(`${scenario.baseUrl}/ui/`);
    await rita.getByLabel("API key").fill(ritaKey);
    await rita.getByRole("button", { name: "Log in" }).click();
    await rita.getByText("rita (").waitFor();
    await rita.goto(`${scenario.baseUrl}/ui/#/cubes/garden/time`);
    await rita.getByLabel("moment").fill("0");
    await expect.poll(() => rita.getByTestId("as-of").locator("tbody tr").count()).toBe(1);
    expect(await rita.getByTestId("as-of").textContent()).toContain("every morning");
    await rita.goto(`${scenario.baseUrl}/ui/#/governance`);
    await expect.poll(async () => (await rita.getByRole("alert").allTextContents()).join(" ")).toContain("403 Forbidden");
    await rita.close();
  });

  it("searches and shows each result's rank and score per retriever", async () => {
    await page.goto(`${scenario.baseUrl}/ui/#/search`);
    await page.getByLabel("query").fill("compost Sundays");
    await page.getByRole("button", { name: "Search" }).click();
    const results = page.getByTestId("results");
    await expect.poll(() => results.textContent()).toContain("Alice turns the compost on Sundays");
    const why = await results.getByTestId("why").first().textContent();
    expect(why).toMatch(/bm25 #1 score \d+(\.\d+)?/);
  });

  it("draws the graph around a memory: the entities it mentions and what was merged into it", async () => {
    await page.goto(`${scenario.baseUrl}/ui/#/memories/compost/graph`);
    await expect.poll(() => page.getByTestId("graph-summary").textContent()).toMatch(/^\d+ nodes/);
    const drawn = await page.waitForFunction(() => {
      const cy = (globalThis as unknown as { __viewerGraph?: { nodes(): { map(f: (n: { id(): string }) => string): string[] } } }).__viewerGraph;
      return cy ? cy.nodes().map((n) => n.id()) : null;
    });
    const ids = (await drawn.jsonValue()) as string[];
    expect(ids).toContain("memory:compost");
    expect(ids).toContain("memory:compost-old");
    expect(ids).toContain("entity:sundays");
    expect(ids).toContain("tag:compost");
    // Two hops: what the merged unit mentions.
    expect(ids).toContain("entity:saturdays");
  });

  it("shows jobs, read-model lag, the live feed, and the audit, erasures and holds for an admin", async () => {
    await page.goto(`${scenario.baseUrl}/ui/#/operations`);
    await expect.poll(() => page.getByTestId("read-models").textContent()).toContain("memory_view");
    await expect.poll(() => page.getByTestId("feed").textContent()).toContain("MemoryArchived garden shed");
    await scenario.ledger.memories.create({ memoryId: "live", cubeId: "garden", text: "A robin nests in the hedge" }, { tenantId: "default", actor: "user:alice" });
    await expect.poll(() => page.getByTestId("feed").textContent()).toContain("live");
    await page.goto(`${scenario.baseUrl}/ui/#/governance`);
    await expect.poll(() => page.getByTestId("holds").textContent()).toContain("dispute with the neighbour");
    // The admin's own reads through the viewer are in the read audit.
    await expect.poll(() => page.getByTestId("reads").textContent()).toContain("memory.history");
    await expect.poll(() => page.getByTestId("erasures").textContent()).toContain("hold");
  });
});
