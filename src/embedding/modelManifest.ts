import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { EmbedderUnavailable, describeCause } from "./embeddingErrors.js";
import { poolings, type Pooling } from "./pooling.js";

/**
 * memledger-model.json, written beside model.onnx by the fetch scripts
 * (scripts/fetch-embedding-model.sh, scripts/fetch-bge-model.sh): how this
 * model wants to be run. Every field after `dimensions` is optional, so the
 * first manifests (MiniLM: mean pooling, no prefixes) stay valid.
 */
export interface ModelManifest {
  readonly modelId: string;
  readonly dimensions: number;
  readonly maxTokens?: number;
  /** Default "mean". */
  readonly pooling?: Pooling;
  /** Default true. */
  readonly normalize?: boolean;
  /** Put before a search query (bge: "Represent this sentence for searching relevant passages: ", e5: "query: "). */
  readonly queryPrefix?: string;
  /** Put before a memory's content (e5: "passage: "; bge: none). */
  readonly passagePrefix?: string;
  /**
   * The weight of this model's vector list in hybrid search when a request sets none (default 0.5):
   * the best weight is a property of the model (a stronger model earns a larger share of the fusion),
   * so it travels with the model, measured on the LoCoMo dev set (docs/benchmarks.md).
   */
  readonly searchVectorWeight?: number;
}

/** The manifest with its defaults filled in. */
export interface ModelSettings {
  readonly modelId: string;
  readonly dimensions: number | undefined;
  readonly maxTokens: number | undefined;
  readonly pooling: Pooling;
  readonly normalize: boolean;
  readonly queryPrefix: string;
  readonly passagePrefix: string;
  /** Undefined when the manifest names none: hybrid search then uses its own default. */
  readonly searchVectorWeight: number | undefined;
}

export const manifestFile = "memledger-model.json";

/** Reads and checks `<modelDir>/memledger-model.json`; a directory without one runs as mean-pooled, normalised, unprefixed. */
export function readModelSettings(modelDir: string, fallbackModelId: string): ModelSettings {
  const path = join(modelDir, manifestFile);
  if (!existsSync(path)) return { modelId: fallbackModelId, dimensions: undefined, maxTokens: undefined, pooling: "mean", normalize: true, queryPrefix: "", passagePrefix: "", searchVectorWeight: undefined };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (cause) {
    throw new EmbedderUnavailable(`${path} is not valid JSON (${describeCause(cause)}): re-run the fetch script that wrote it`, { cause });
  }
  return settingsFromManifest(raw, path);
}

/** Validates a parsed manifest; `path` only names it in errors. */
export function settingsFromManifest(raw: unknown, path: string): ModelSettings {
  const invalid = (what: string) => new EmbedderUnavailable(`${path}: ${what}; fix the file or re-run the fetch script that wrote it (docs/embeddings.md lists the fields)`);
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw invalid("expected a JSON object");
  const m = raw as Record<string, unknown>;
  if (typeof m.modelId !== "string" || m.modelId.trim() === "") throw invalid("modelId must be a non-empty string");
  if (!isPositiveInteger(m.dimensions)) throw invalid(`dimensions must be a positive integer, got ${JSON.stringify(m.dimensions)}`);
  if (m.maxTokens !== undefined && !isPositiveInteger(m.maxTokens)) throw invalid(`maxTokens must be a positive integer, got ${JSON.stringify(m.maxTokens)}`);
  if (m.pooling !== undefined && !poolings.includes(m.pooling as Pooling)) throw invalid(`pooling must be one of ${poolings.map((p) => `"${p}"`).join(", ")}, got ${JSON.stringify(m.pooling)}`);
  if (m.normalize !== undefined && typeof m.normalize !== "boolean") throw invalid(`normalize must be true or false, got ${JSON.stringify(m.normalize)}`);
  for (const field of ["queryPrefix", "passagePrefix"] as const) {
    if (m[field] !== undefined && typeof m[field] !== "string") throw invalid(`${field} must be a string, got ${JSON.stringify(m[field])}`);
  }
  const weight = m.searchVectorWeight;
  if (weight !== undefined && (typeof weight !== "number" || !Number.isFinite(weight) || weight < 0)) throw invalid(`searchVectorWeight must be a number of at least 0, got ${JSON.stringify(weight)}`);
  return {
    modelId: m.modelId,
    dimensions: m.dimensions,
    maxTokens: m.maxTokens as number | undefined,
    pooling: (m.pooling as Pooling | undefined) ?? "mean",
    normalize: (m.normalize as boolean | undefined) ?? true,
    queryPrefix: (m.queryPrefix as string | undefined) ?? "",
    passagePrefix: (m.passagePrefix as string | undefined) ?? "",
    searchVectorWeight: weight as number | undefined,
  };
}

/**
 * The id of the passages' vector space: the model id, plus whatever else changes
 * a stored vector. The defaults add nothing, so MiniLM's id (and its cached
 * vectors and read model generation) stays what it was before manifests had these fields.
 */
export function vectorSpaceId(settings: ModelSettings): string {
  const extras = [
    settings.pooling === "mean" ? undefined : `pooling=${settings.pooling}`,
    settings.normalize ? undefined : "unnormalised",
    settings.passagePrefix === "" ? undefined : `passagePrefix=${JSON.stringify(settings.passagePrefix)}`,
  ].filter((extra) => extra !== undefined);
  return extras.length === 0 ? settings.modelId : `${settings.modelId} (${extras.join(", ")})`;
}

const isPositiveInteger = (value: unknown): value is number => typeof value === "number" && Number.isInteger(value) && value > 0;
