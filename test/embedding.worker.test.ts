import { beforeAll, describe, expect, it } from "vitest";
import { embedderContract } from "../src/embedding/embedder.contract.js";
import type { Embedder } from "../src/embedding/embedderPort.js";
import { EmbedderUnavailable } from "../src/embedding/embeddingErrors.js";
import { openOnnxEmbedder } from "../src/embedding/onnxEmbedder.js";
import { microBatchingEmbedder } from "../src/embedding/microBatchingEmbedder.js";
import { openWorkerEmbedder } from "../src/embedding/workerEmbedder.js";
import { ensureEmbeddingModel } from "./support/embeddingModel.js";

// Real engine: onnxruntime-node running all-MiniLM-L6-v2 inside a node:worker_threads worker.
const modelLoadTimeoutMs = 600_000;
const crashingWorker = new URL("./support/crashingEmbedderWorker.ts", import.meta.url);

embedderContract("ONNX all-MiniLM-L6-v2 in a worker thread", async () => openWorkerEmbedder({ modelDir: await ensureEmbeddingModel() }));

describe("worker-thread embedder", () => {
  let modelDir: string;
  beforeAll(async () => {
    modelDir = await ensureEmbeddingModel();
  }, modelLoadTimeoutMs);

  it("hardening #11: gives the same vectors as the in-process ONNX embedder", async () => {
    const [inWorker, inProcess] = await Promise.all([openWorkerEmbedder({ modelDir }), openOnnxEmbedder({ modelDir })]);
    try {
      const texts = ["Alice prefers green tea", "Bob runs on Sundays", ""];
      const [a, b] = await Promise.all([inWorker.embed(texts), inProcess.embed(texts)]);
      a.forEach((vector, i) => vector.forEach((value, d) => expect(Math.abs(value - b[i]![d]!)).toBeLessThan(1e-6)));
    } finally {
      await Promise.all([inWorker.close(), inProcess.close()]);
    }
  });

  it("hardening #11: a crashed worker fails its request with EmbedderUnavailable and is restarted for the next one", async () => {
    const embedder = await openWorkerEmbedder({ modelDir, workerModule: crashingWorker });
    try {
      const failure = await embedder.embed(["crash the worker"]).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(EmbedderUnavailable);
      expect((failure as Error).message).toMatch(/stopped \(exit code 70\).*retry/);
      const [vector] = await embedder.embed(["after the crash"]);
      expect(vector).toHaveLength(embedder.dimensions);
    } finally {
      await embedder.close();
    }
  });

  it("hardening #11: a stuck worker fails its request after the timeout instead of hanging it, and is replaced", async () => {
    const embedder = await openWorkerEmbedder({ modelDir, workerModule: crashingWorker, requestTimeoutMs: 1_000 });
    try {
      const failure = await embedder.embed(["hang the worker"]).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(EmbedderUnavailable);
      expect((failure as Error).message).toMatch(/did not answer 1 texts within 1000 ms/);
      const [vector] = await embedder.embed(["after the hang"]);
      expect(vector).toHaveLength(embedder.dimensions);
    } finally {
      await embedder.close();
    }
  });

  it("hardening #11: close() ends the worker and fails what is still in flight instead of hanging it", async () => {
    const embedder: Embedder = await openWorkerEmbedder({ modelDir });
    await embedder.embed(["warm"]);
    const inFlight = embedder.embed(Array.from({ length: 64 }, (_, i) => `text number ${i} `.repeat(40))).catch((error: unknown) => error);
    await new Promise((posted) => setTimeout(posted, 50)); // the batch is in the worker, mid-inference
    await embedder.close();
    expect(await inFlight).toBeInstanceOf(EmbedderUnavailable);
    await expect(embedder.embed(["after close"])).rejects.toBeInstanceOf(EmbedderUnavailable);
  });

  it("hardening #11: a model directory without a model fails to open with EmbedderUnavailable", async () => {
    await expect(openWorkerEmbedder({ modelDir: "/nonexistent/model" })).rejects.toBeInstanceOf(EmbedderUnavailable);
  });
});

embedderContract("ONNX all-MiniLM-L6-v2 in a worker thread behind the micro-batcher", async () =>
  microBatchingEmbedder(await openWorkerEmbedder({ modelDir: await ensureEmbeddingModel() })),
);
