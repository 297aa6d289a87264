import { monitorEventLoopDelay } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureEmbeddingModel } from "./support/embeddingModel.js";
import { tempLedger } from "./support/tempLedger.js";

// Real engine: all-MiniLM-L6-v2 on onnxruntime-node, embedded default (SQLite log with fsync, embedded read models).
const memories = 200;
/** A 1.5 KB memory, different per index so nothing is served from the embedding cache. */
const memoryText = (i: number) =>
  `Memory ${i}: ` + Array.from({ length: 230 }, (_, j) => ["garden", "river", "coffee", "train", "music", "paper", "window", "autumn"][(i * 7 + j * 3) % 8]).join(" ");
/** Generous for 2 shared cores; before the fix the loop stalled for 1 s and more while the same add ran. */
const maxEventLoopDelayMs = 400;

describe("ingestion keeps the event loop responsive", () => {
  let t: Awaited<ReturnType<typeof tempLedger>>;
  beforeAll(async () => {
    t = await tempLedger({ embedder: { kind: "onnx", modelDir: await ensureEmbeddingModel() } });
    await t.ledger.cubes.create({ cubeId: "bulk", name: "bulk", owner: { kind: "user", id: "u" } });
  }, 600_000);
  afterAll(async () => {
    await t?.dispose();
  });

  it(`hardening #11: during a sync add of ${memories} memories of 1.5 KB the event loop never stalls for ${maxEventLoopDelayMs} ms`, async () => {
    expect(memoryText(0).length).toBeGreaterThan(1_400);
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const result = await t.ledger.memories.add("bulk", { mode: "sync", memories: Array.from({ length: memories }, (_, i) => ({ text: memoryText(i) })) });
    delay.disable();
    expect(result.mode === "sync" && result.memories.every((m) => m.status === "activated")).toBe(true);
    expect(delay.max / 1e6).toBeLessThan(maxEventLoopDelayMs);
  }, 300_000);
});
