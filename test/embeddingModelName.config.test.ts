import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, configFromEnv } from "../src/config.js";
import { resolveEmbeddingModelDir } from "../src/embedding/embeddingModelDir.js";

describe("choosing the local embedding model by name (MEMLEDGER_EMBEDDING_MODEL)", () => {
  it("maps a known name to the directory its fetch script fills", () => {
    expect(resolveEmbeddingModelDir({ MEMLEDGER_EMBEDDING_MODEL: "bge-small-en-v1.5" }, "/repo")).toBe(resolve("/repo/.cache/models/bge-small-en-v1.5"));
    expect(resolveEmbeddingModelDir({ MEMLEDGER_EMBEDDING_MODEL: "bge-small-en-v1.5-q" }, "/repo")).toBe(resolve("/repo/.cache/models/bge-small-en-v1.5-q"));
    expect(resolveEmbeddingModelDir({}, "/repo")).toBe(resolve("/repo/.cache/models/bge-small-en-v1.5-q"));
    expect(resolveEmbeddingModelDir({ MEMLEDGER_EMBEDDING_MODEL_DIR: "/models/mine" }, "/repo")).toBe("/models/mine");
  });

  it("leaves the name to the OpenAI-compatible server when that embedder is chosen", () => {
    expect(resolveEmbeddingModelDir({ MEMLEDGER_EMBEDDER: "openai", MEMLEDGER_EMBEDDING_MODEL: "nomic-embed-text" }, "/repo")).toBe(resolve("/repo/.cache/models/bge-small-en-v1.5-q"));
  });

  it("with no name, loads the default model (bge-small-en-v1.5 int8) when fetched, else MiniLM when that is what a data directory was set up with", () => {
    const base = mkdtempSync(join(tmpdir(), "memledger-model-dirs-"));
    const fetched = (dir: string) => {
      mkdirSync(join(base, dir), { recursive: true });
      writeFileSync(join(base, dir, "model.onnx"), "");
    };
    try {
      expect(resolveEmbeddingModelDir({}, base)).toBe(join(base, ".cache/models/bge-small-en-v1.5-q"));
      fetched(".cache/models/all-MiniLM-L6-v2");
      expect(resolveEmbeddingModelDir({}, base)).toBe(join(base, ".cache/models/all-MiniLM-L6-v2"));
      fetched(".cache/models/bge-small-en-v1.5-q");
      expect(resolveEmbeddingModelDir({}, base)).toBe(join(base, ".cache/models/bge-small-en-v1.5-q"));
      // A name still wins over what is fetched.
      expect(resolveEmbeddingModelDir({ MEMLEDGER_EMBEDDING_MODEL: "all-MiniLM-L6-v2" }, base)).toBe(join(base, ".cache/models/all-MiniLM-L6-v2"));
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  it("rejects an unknown name, listing the known ones", () => {
    const attempt = () => configFromEnv({ MEMLEDGER_EMBEDDER: "onnx", MEMLEDGER_EMBEDDING_MODEL: "bge-large" });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/MEMLEDGER_EMBEDDING_MODEL="bge-large" is not a local model memledger knows \(all-MiniLM-L6-v2, bge-small-en-v1\.5, bge-small-en-v1\.5-q, bge-small-zh-v1\.5\).*MEMLEDGER_EMBEDDING_MODEL_DIR/);
  });

  it("rejects a name and a directory that disagree", () => {
    expect(() => configFromEnv({ MEMLEDGER_EMBEDDING_MODEL: "bge-small-en-v1.5", MEMLEDGER_EMBEDDING_MODEL_DIR: "/models/minilm" })).toThrow(/name different models; set only one of them/);
  });

  it("says which fetch script gets the named model when it is missing", () => {
    const attempt = () => configFromEnv({ MEMLEDGER_EMBEDDER: "onnx", MEMLEDGER_EMBEDDING_MODEL: "bge-small-en-v1.5-q" });
    // The -q model may be fetched on this machine; point the base at an empty place by running from another directory.
    const cwd = process.cwd();
    process.chdir("/tmp");
    try {
      expect(attempt).toThrow(/found no model\.onnx in \/tmp\/\.cache\/models\/bge-small-en-v1\.5-q: run scripts\/fetch-bge-model\.sh q/);
    } finally {
      process.chdir(cwd);
    }
  });
});
