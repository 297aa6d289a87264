import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { openWorkerEmbedder } from "../src/embedding/workerEmbedder.js";
import { ensureEmbeddingModel } from "./support/embeddingModel.js";

// Real engine: onnxruntime-node running all-MiniLM-L6-v2 inside a node:worker_threads worker.
const modelLoadTimeoutMs = 600_000;
const idleMs = 400;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// Linux: the process's resident set, as the server's operators see it (ps, cgroups), not V8's heap.
const rssMb = () => Number(readFileSync("/proc/self/status", "utf8").split("\n").find((line) => line.startsWith("VmRSS:"))!.split(/\s+/)[1]) / 1024;
const longTexts = Array.from({ length: 64 }, (_, i) => `memory number ${i} about tea, trains and the weather in Lyon `.repeat(10));

describe("worker-thread embedder after idle", () => {
  let modelDir: string;
  beforeAll(async () => {
    modelDir = await ensureEmbeddingModel();
  }, modelLoadTimeoutMs);

  it("hardening #11 (RSS after idle): the worker thread ends after the idle period, and the next embed starts a new one giving the same vectors", async () => {
    const embedder = await openWorkerEmbedder({ modelDir, idleMs });
    try {
      const texts = ["Alice prefers green tea", "Bob runs on Sundays"];
      const before = await embedder.embed(texts);
      const firstThread = embedder.workerThreadId();
      expect(firstThread).toBeGreaterThan(0);
      await sleep(idleMs * 3);
      expect(embedder.workerThreadId()).toBeUndefined();
      const after = await embedder.embed(texts);
      after.forEach((vector, i) => vector.forEach((value, d) => expect(value).toBeCloseTo(before[i]![d]!, 6)));
      const secondThread = embedder.workerThreadId();
      expect(secondThread).toBeGreaterThan(0);
      expect(secondThread).not.toBe(firstThread);
    } finally {
      await embedder.close();
    }
  });

  it("hardening #11 (RSS after idle): the worker loaded at open is kept until it serves a request, so the first request after start-up pays no cold start", async () => {
    const embedder = await openWorkerEmbedder({ modelDir, idleMs });
    try {
      const thread = embedder.workerThreadId();
      expect(thread).toBeGreaterThan(0);
      await sleep(idleMs * 3);
      expect(embedder.workerThreadId()).toBe(thread);
      await embedder.embed(["where does Alice live"]);
      expect(embedder.workerThreadId()).toBe(thread);
    } finally {
      await embedder.close();
    }
  });

  it("hardening #11 (RSS after idle): a busy worker is kept, requests closer together than the idle period never restart it", async () => {
    const embedder = await openWorkerEmbedder({ modelDir, idleMs });
    try {
      await embedder.embed(["warm"]);
      const thread = embedder.workerThreadId();
      for (let i = 0; i < 8; i++) {
        await sleep(idleMs / 4);
        await embedder.embed([`request ${i}`]);
        expect(embedder.workerThreadId()).toBe(thread);
      }
    } finally {
      await embedder.close();
    }
  });

  it("hardening #11 (RSS after idle): the process gives back the model's and onnxruntime's arena memory once the worker has idled", async () => {
    const embedder = await openWorkerEmbedder({ modelDir, idleMs });
    try {
      for (let round = 0; round < 4; round++) await embedder.embed(longTexts.map((text) => `${text} ${round}`));
      const busy = rssMb();
      await sleep(idleMs * 3 + 500);
      // The model alone is 90 MB and the arena grows past 100 MB on these batches; measured drop ~250 MB.
      expect(busy - rssMb()).toBeGreaterThan(100);
    } finally {
      await embedder.close();
    }
  });
});
