import { Tokenizer } from "@huggingface/tokenizers";
import { existsSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import * as ort from "onnxruntime-node";
import type { Embedder, EmbeddingPurpose } from "./embedderPort.js";
import { onnxModelFileIn } from "./embeddingModelDir.js";
import { EmbedderUnavailable, EmbeddingFailed, describeCause } from "./embeddingErrors.js";
import { manifestFile, readModelSettings, vectorSpaceId, type ModelSettings } from "./modelManifest.js";
import { pool } from "./pooling.js";

export interface OnnxEmbedderOptions {
  /** A directory with model.onnx (or onnx/model.onnx, as in a Hugging Face download) and tokenizer.json. */
  readonly modelDir: string;
  /** Texts per inference run; larger batches are faster per text but pad to the longest text in the batch. */
  readonly batchSize?: number;
  /** Token limit including the special tokens; defaults to the model's own (256 for all-MiniLM-L6-v2). */
  readonly maxTokens?: number;
  /** onnxruntime intra-op threads; defaults to onnxruntime's choice (all cores). */
  readonly intraOpThreads?: number;
}

const fallbackMaxTokens = 512;
const setupAdvice =
  "run npm run fetch-model (the default model) or set MEMLEDGER_EMBEDDING_MODEL_DIR to a directory with model.onnx and tokenizer.json";

/**
 * A sentence embedder running a BERT-style encoder locally with onnxruntime:
 * prefix (queries and passages as the model's manifest says), tokenise, run the
 * encoder, pool (mean of real tokens or [CLS]), L2-normalise.
 */
export async function openOnnxEmbedder(options: OnnxEmbedderOptions): Promise<Embedder> {
  const modelDir = resolve(options.modelDir);
  const modelPath = onnxModelFileIn(modelDir);
  const tokenizerPath = join(modelDir, "tokenizer.json");
  if (modelPath === undefined || !existsSync(tokenizerPath)) {
    const missing = [modelPath === undefined ? "model.onnx" : undefined, existsSync(tokenizerPath) ? undefined : "tokenizer.json"].filter(Boolean);
    throw new EmbedderUnavailable(`embedding model directory ${modelDir} has no ${missing.join(" and no ")}: ${setupAdvice}`);
  }

  const settings = readModelSettings(modelDir, `onnx:${basename(modelDir)}`);
  const tokenizer = loadTokenizer(modelDir, tokenizerPath);
  const maxTokens = options.maxTokens ?? settings.maxTokens ?? modelMaxTokens(modelDir);
  const batchSize = options.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);

  if (!Number.isInteger(maxTokens) || maxTokens < 1) throw new RangeError(`maxTokens must be a positive integer, got ${maxTokens}`);
  const closingTokens = closingSpecialTokens(tokenizer, maxTokens);

  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(modelPath, {
      graphOptimizationLevel: "all",
      ...(options.intraOpThreads === undefined ? {} : { intraOpNumThreads: options.intraOpThreads }),
    });
  } catch (cause) {
    throw new EmbedderUnavailable(`cannot load ONNX model ${modelPath} (${describeCause(cause)}): ${setupAdvice}`, { cause });
  }

  const encoder = new BertEncoder(session, tokenizer, maxTokens, closingTokens, modelPath, settings);
  // One tiny run tells the true output width, so `dimensions` is right even without a manifest.
  const probe = await encoder.embedAll([""], 1).catch(async (cause: unknown) => {
    await session.release();
    throw cause;
  });
  const dimensions = probe[0]!.length;
  if (settings.dimensions !== undefined && settings.dimensions !== dimensions) {
    await session.release();
    throw new EmbedderUnavailable(`${modelPath} produces ${dimensions}-dimensional vectors but ${manifestFile} says ${settings.dimensions}: re-run the fetch script that wrote it (docs/embeddings.md)`);
  }

  const modelId = vectorSpaceId(settings);
  let closed = false;
  return {
    modelId,
    dimensions,
    embed: async (texts, purpose = "passage") => {
      if (closed) throw new EmbedderUnavailable(`embedder ${modelId} was closed; open a new one with openOnnxEmbedder`);
      return encoder.embedAll(texts, batchSize, purpose);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await session.release();
    },
  };
}

class BertEncoder {
  constructor(
    private readonly session: ort.InferenceSession,
    private readonly tokenizer: Tokenizer,
    private readonly maxTokens: number,
    private readonly closingTokens: readonly number[],
    private readonly modelPath: string,
    private readonly settings: ModelSettings,
  ) {}

  async embedAll(texts: readonly string[], batchSize: number, purpose: EmbeddingPurpose = "passage"): Promise<Float32Array[]> {
    const prefix = purpose === "query" ? this.settings.queryPrefix : this.settings.passagePrefix;
    const tokenised = texts.map((text) => this.tokenise(prefix + text));
    // Batching texts of similar length wastes less compute on padding; results go back to their input positions.
    const byLength = tokenised.map((_, index) => index).sort((a, b) => tokenised[a]!.length - tokenised[b]!.length);
    const vectors = new Array<Float32Array>(texts.length);
    for (let start = 0; start < byLength.length; start += batchSize) {
      const indices = byLength.slice(start, start + batchSize);
      const batchVectors = await this.run(indices.map((index) => tokenised[index]!));
      indices.forEach((index, i) => (vectors[index] = batchVectors[i]!));
    }
    return vectors;
  }

  private tokenise(text: string): readonly number[] {
    let ids: number[];
    try {
      ids = this.tokenizer.encode(text).ids;
    } catch (cause) {
      throw new EmbeddingFailed(`cannot tokenise a ${text.length}-character text for ${this.modelPath}: ${describeCause(cause)}`, { cause });
    }
    if (ids.length <= this.maxTokens) return ids;
    return [...ids.slice(0, this.maxTokens - this.closingTokens.length), ...this.closingTokens];
  }

  private async run(batch: readonly (readonly number[])[]): Promise<Float32Array[]> {
    const rows = batch.length;
    const columns = Math.max(...batch.map((ids) => ids.length));
    const inputIds = new BigInt64Array(rows * columns); // zero = [PAD]; masked out below
    const attentionMask = new BigInt64Array(rows * columns);
    batch.forEach((ids, row) =>
      ids.forEach((id, column) => {
        inputIds[row * columns + column] = BigInt(id);
        attentionMask[row * columns + column] = 1n;
      }),
    );
    const shape = [rows, columns];
    const available: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor("int64", inputIds, shape),
      attention_mask: new ort.Tensor("int64", attentionMask, shape),
      token_type_ids: new ort.Tensor("int64", new BigInt64Array(rows * columns), shape), // single sentences: all segment 0
    };
    // Exported models differ in whether they take token_type_ids; feed exactly what this one declares.
    const unknownInputs = this.session.inputNames.filter((name) => available[name] === undefined);
    if (unknownInputs.length > 0) throw new EmbeddingFailed(`${this.modelPath} expects inputs we do not provide (${unknownInputs.join(", ")}); use a BERT-style encoder export`);
    const feeds = Object.fromEntries(this.session.inputNames.map((name) => [name, available[name]!]));

    let output: ort.Tensor;
    try {
      const results = await this.session.run(feeds);
      output = results.last_hidden_state ?? results[this.session.outputNames[0]!]!;
    } catch (cause) {
      throw new EmbeddingFailed(`ONNX inference failed for a batch of ${rows} texts in ${this.modelPath}: ${describeCause(cause)}`, { cause });
    }
    if (output.type !== "float32" || output.dims.length !== 3 || output.dims[0] !== rows || output.dims[1] !== columns) {
      throw new EmbeddingFailed(`${this.modelPath} returned ${output.type} [${output.dims.join(", ")}], expected float32 [${rows}, ${columns}, hidden]: it must output last_hidden_state`);
    }
    const states = { hidden: output.data as Float32Array, mask: attentionMask, rows, columns, width: Number(output.dims[2]) };
    return pool(states, this.settings.pooling, this.settings.normalize);
  }
}

/**
 * The special tokens the tokenizer appends after the text ([SEP] for BERT); truncation must keep them.
 * Encoding one token with and without special tokens shows them: whatever follows the bare token.
 */
function closingSpecialTokens(tokenizer: Tokenizer, maxTokens: number): readonly number[] {
  const wrapped = tokenizer.encode("x").ids;
  const bare = tokenizer.encode("x", { add_special_tokens: false }).ids;
  const specialCount = wrapped.length - bare.length;
  if (maxTokens <= specialCount) throw new RangeError(`maxTokens ${maxTokens} leaves no room for text next to the ${specialCount} special tokens`);
  return wrapped.slice(wrapped.indexOf(bare[0]!) + bare.length);
}

function loadTokenizer(modelDir: string, tokenizerPath: string): Tokenizer {
  try {
    const tokenizerJson = JSON.parse(readFileSync(tokenizerPath, "utf8")) as object;
    const tokenizerConfig = readJson<object>(join(modelDir, "tokenizer_config.json")) ?? {};
    return new Tokenizer(tokenizerJson, tokenizerConfig);
  } catch (cause) {
    throw new EmbedderUnavailable(`cannot load tokenizer ${tokenizerPath} (${describeCause(cause)}): ${setupAdvice}`, { cause });
  }
}

/** The model's own limit when there is no manifest: sentence-transformers' max_seq_length, else the tokenizer's, capped at BERT's 512 positions. */
function modelMaxTokens(modelDir: string): number {
  const sentenceBert = readJson<{ max_seq_length?: number }>(join(modelDir, "sentence_bert_config.json"));
  const tokenizerConfig = readJson<{ model_max_length?: number }>(join(modelDir, "tokenizer_config.json"));
  return Math.min(sentenceBert?.max_seq_length ?? tokenizerConfig?.model_max_length ?? fallbackMaxTokens, fallbackMaxTokens);
}

function readJson<T>(path: string): T | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch (cause) {
    throw new EmbedderUnavailable(`${path} is not valid JSON (${describeCause(cause)}): ${setupAdvice}`, { cause });
  }
}
