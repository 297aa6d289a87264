import Database from "better-sqlite3";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ensureEmbeddingModel } from "./support/embeddingModel.js";
import { runEndToEndScenario } from "./support/endToEndScenario.js";
import { tempLedger } from "./support/tempLedger.js";

/** The end-to-end scenario on the embedded profile: everything in one data directory. */
let modelDir: string;
beforeAll(async () => {
  modelDir = await ensureEmbeddingModel();
}, 600_000);

let dispose: (() => Promise<void>) | undefined;
afterAll(async () => {
  await dispose?.();
});

it("create, edit, merge, archive, search, as-of search, rollback and erase on the embedded profile", async () => {
  const t = await tempLedger({ embedder: { kind: "onnx", modelDir }, defaultContext: { tenantId: "acme", actor: "user:dana" } });
  dispose = t.dispose;
  const readModels = join(t.dataDir, "readmodels");
  const graphHolds = async (text: string) => {
    const file = readdirSync(readModels).find((f) => /^graph-\d+\.db$/.test(f))!;
    const db = new Database(join(readModels, file), { readonly: true });
    try {
      return db.prepare("SELECT 1 FROM nodes WHERE instr(lower(label), lower(?)) > 0 OR instr(lower(id), lower(?)) > 0 LIMIT 1").get(text, text) !== undefined;
    } finally {
      db.close();
    }
  };
  const outcome = await runEndToEndScenario(t.ledger, t.clock, { graphHolds, vectors: true });
  expect(outcome.steps.length).toBeGreaterThan(10);
}, 180_000);
