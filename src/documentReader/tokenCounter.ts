import { Tokenizer } from "@huggingface/tokenizers";
import { getEncoding } from "js-tiktoken";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Counts tokens the way the embedding model will see them, so a chunk fits the model's window. */
export interface TokenCounter {
  /** Which tokenizer counts: `embedding-model:<dir>` or `cl100k_base`. */
  readonly name: string;
  count(text: string): number;
}

/**
 * The embedding model's own tokenizer when its directory has tokenizer.json
 * (the ONNX embedder), else OpenAI's cl100k_base (js-tiktoken, its ranks ship in
 * the package): exact for OpenAI's embedding models and a close approximation
 * of others, since WordPiece and BPE vocabularies of English split text alike.
 */
export function tokenCounterFor(tokenizerDir: string | undefined): TokenCounter {
  const tokenizerPath = tokenizerDir === undefined ? undefined : join(tokenizerDir, "tokenizer.json");
  if (tokenizerPath !== undefined && existsSync(tokenizerPath)) {
    const configPath = join(tokenizerDir!, "tokenizer_config.json");
    const config = existsSync(configPath) ? (JSON.parse(readFileSync(configPath, "utf8")) as object) : {};
    const tokenizer = new Tokenizer(JSON.parse(readFileSync(tokenizerPath, "utf8")) as object, config);
    return { name: `embedding-model:${tokenizerDir}`, count: (text) => tokenizer.encode(text, { add_special_tokens: false }).ids.length };
  }
  const encoding = getEncoding("cl100k_base");
  return { name: "cl100k_base", count: (text) => encoding.encode(text).length };
}

/** The name `tokenCounterFor(tokenizerDir)` will have, without loading a tokenizer (a request names it before any chunking). */
export function tokenCounterNameFor(tokenizerDir: string | undefined): string {
  return tokenizerDir !== undefined && existsSync(join(tokenizerDir, "tokenizer.json")) ? `embedding-model:${tokenizerDir}` : "cl100k_base";
}
