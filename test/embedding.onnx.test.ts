import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { embedderContract } from "../src/embedding/embedder.contract.js";
import type { Embedder } from "../src/embedding/embedderPort.js";
import { EmbedderUnavailable } from "../src/embedding/embeddingErrors.js";
import { openOnnxEmbedder } from "../src/embedding/onnxEmbedder.js";
import { cosineSimilarity } from "../src/embedding/vectorMath.js";
import { ensureEmbeddingModel } from "./support/embeddingModel.js";

// Real engine: onnxruntime-node running all-MiniLM-L6-v2 as converted by scripts/convert_minilm_to_onnx.py.
const modelLoadTimeoutMs = 600_000;

embedderContract("ONNX all-MiniLM-L6-v2 (onnxruntime-node)", async () => openOnnxEmbedder({ modelDir: await ensureEmbeddingModel() }));

describe("ONNX embedder with all-MiniLM-L6-v2", () => {
  let modelDir: string;
  let embedder: Embedder;
  beforeAll(async () => {
    modelDir = await ensureEmbeddingModel();
    embedder = await openOnnxEmbedder({ modelDir });
  }, modelLoadTimeoutMs);
  afterAll(async () => {
    await embedder?.close();
  });

  it("reads its identity from the manifest", () => {
    expect(embedder.modelId).toBe("sentence-transformers/all-MiniLM-L6-v2");
    expect(embedder.dimensions).toBe(384);
  });

  it("reproduces the sentence-transformers reference similarities", async () => {
    // From the sentence-transformers documentation for all-MiniLM-L6-v2 (model.similarity of these three sentences).
    const reference = [
      [1, 0.666, 0.1046],
      [0.666, 1, 0.1411],
      [0.1046, 0.1411, 1],
    ];
    const vectors = await embedder.embed(["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]);
    const similarities = vectors.map((a) => vectors.map((b) => cosineSimilarity(a, b)));
    similarities.forEach((row, i) => row.forEach((similarity, j) => expect(Math.abs(similarity - reference[i]![j]!)).toBeLessThan(0.005)));
  });

  it("truncates to the model's 256 tokens, so text past the limit does not change the vector", async () => {
    const longText = "The garden needs watering every morning. ".repeat(60); // ~420 tokens
    const [truncated, withDifferentTail] = await embedder.embed([longText, `${longText} Quantum chromodynamics describes quarks and gluons.`]);
    expect(cosineSimilarity(truncated!, withDifferentTail!)).toBeGreaterThan(0.99999);
  });

  it("honours a smaller maxTokens", async () => {
    const short = await openOnnxEmbedder({ modelDir, maxTokens: 8 });
    try {
      const [cut, differentEnding] = await short.embed([
        "one two three four five six seven eight nine ten",
        "one two three four five six banana cherry grape melon",
      ]);
      // [CLS] + 6 words + [SEP] = 8 tokens: both texts reduce to the same input.
      expect(cosineSimilarity(cut!, differentEnding!)).toBeGreaterThan(0.99999);
    } finally {
      await short.close();
    }
  });

  it("loads a Hugging Face download layout (onnx/model.onnx, no manifest)", async () => {
    const hubDir = mkdtempSync(join(tmpdir(), "memledger-hub-layout-"));
    try {
      mkdirSync(join(hubDir, "onnx"));
      symlinkSync(join(modelDir, "model.onnx"), join(hubDir, "onnx", "model.onnx"));
      for (const file of ["tokenizer.json", "tokenizer_config.json", "config.json", "sentence_bert_config.json"]) cpSync(join(modelDir, file), join(hubDir, file));
      const hubEmbedder = await openOnnxEmbedder({ modelDir: hubDir });
      try {
        expect(hubEmbedder.dimensions).toBe(384);
        const text = "Embeddings from either layout are the same.";
        const [fromHubLayout] = await hubEmbedder.embed([text]);
        const [fromOurLayout] = await embedder.embed([text]);
        expect(cosineSimilarity(fromHubLayout!, fromOurLayout!)).toBeGreaterThan(0.99999);
      } finally {
        await hubEmbedder.close();
      }
    } finally {
      rmSync(hubDir, { recursive: true, force: true });
    }
  });

  it("explains how to get a model when the directory has none", async () => {
    const emptyDir = mkdtempSync(join(tmpdir(), "memledger-no-model-"));
    try {
      const opening = openOnnxEmbedder({ modelDir: emptyDir });
      await expect(opening).rejects.toBeInstanceOf(EmbedderUnavailable);
      await expect(opening).rejects.toThrow(/npm run fetch-model.*MEMLEDGER_EMBEDDING_MODEL_DIR/);
      await expect(opening).rejects.toThrow(emptyDir);
    } finally {
      rmSync(emptyDir, { recursive: true, force: true });
    }
  });

  it("refuses to embed after close", async () => {
    const closing = await openOnnxEmbedder({ modelDir });
    await closing.close();
    await expect(closing.embed(["too late"])).rejects.toBeInstanceOf(EmbedderUnavailable);
  });
});
