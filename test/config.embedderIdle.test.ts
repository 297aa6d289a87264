import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { configFromEnv } from "../src/config.js";

describe("MEMLEDGER_EMBEDDER_IDLE_MS", () => {
  const modelDir = mkdtempSync(join(tmpdir(), "memledger-model-"));
  writeFileSync(join(modelDir, "model.onnx"), "");

  it("hardening #11 (RSS after idle): sets how long the embedding worker outlives the last request, off keeps it, nonsense is refused by name", () => {
    expect(configFromEnv({ MEMLEDGER_EMBEDDING_MODEL_DIR: modelDir, MEMLEDGER_EMBEDDER_IDLE_MS: "2000" }).embedder).toEqual({ kind: "onnx", modelDir, idleMs: 2_000 });
    expect(configFromEnv({ MEMLEDGER_EMBEDDING_MODEL_DIR: modelDir, MEMLEDGER_EMBEDDER_IDLE_MS: "off" }).embedder).toEqual({ kind: "onnx", modelDir, idleMs: Number.POSITIVE_INFINITY });
    expect(configFromEnv({ MEMLEDGER_EMBEDDING_MODEL_DIR: modelDir }).embedder).toEqual({ kind: "onnx", modelDir });
    for (const bad of ["0", "-5", "5s", "1.5"]) {
      expect(() => configFromEnv({ MEMLEDGER_EMBEDDING_MODEL_DIR: modelDir, MEMLEDGER_EMBEDDER_IDLE_MS: bad })).toThrow(/MEMLEDGER_EMBEDDER_IDLE_MS must be a whole number of milliseconds.*or off/);
    }
  });
});
