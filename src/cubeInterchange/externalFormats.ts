import type { MetadataValue } from "../../domain/memory/memoryContent.js";
import { parseIsoInstant } from "../../domain/time/isoInstant.js";
import type { MemoryView } from "../../projections/memoryView.js";
import { fileRejected } from "./interchangeErrors.js";

/**
 * Formats users already have, for memories without a history: mem0's export
 * (`get_all` / `GET /v1/memories/`: `{ results: [...] }` or a bare array, or one
 * object per line) and a plain JSONL of `{ text, metadata, created_at }`; and the
 * flat JSONL memledger writes for other tools.
 */
export type ExternalFormat = "mem0" | "jsonl";

/** One memory to create, with the source's own id when it had one (for idempotent re-imports). */
export interface ExternalMemory {
  readonly sourceId?: string;
  readonly text: string;
  readonly metadata: Readonly<Record<string, MetadataValue>>;
  readonly tags: readonly string[];
  readonly userId?: string;
  readonly agentId?: string;
  readonly sessionId?: string;
  readonly createdAt?: string;
  readonly memoryType?: string;
}

const flatMetadata = (value: unknown): Record<string, MetadataValue> => {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return {};
  const out: Record<string, MetadataValue> = {};
  for (const [key, field] of Object.entries(value)) {
    // Metadata is flat so it can be filtered on; nested values travel as their JSON text.
    out[key] = field === null || typeof field === "string" || typeof field === "number" || typeof field === "boolean" ? field : JSON.stringify(field);
  }
  return out;
};

const optionalString = (value: unknown): string | undefined => (typeof value === "string" && value !== "" ? value : undefined);
const instantOrUndefined = (value: unknown): string | undefined => (typeof value === "string" && parseIsoInstant(value) !== undefined ? new Date(value).toISOString() : undefined);

function fromMem0(item: Record<string, unknown>, where: number): ExternalMemory {
  const text = item.memory ?? item.text;
  if (typeof text !== "string" || text.trim() === "") throw fileRejected(where, "is a mem0 memory without a non-empty \"memory\" text");
  const metadata = flatMetadata(item.metadata);
  const updatedAt = instantOrUndefined(item.updated_at);
  const categories = Array.isArray(item.categories) ? item.categories.filter((c): c is string => typeof c === "string") : [];
  const userId = optionalString(item.user_id);
  const agentId = optionalString(item.agent_id);
  const sessionId = optionalString(item.run_id);
  const createdAt = instantOrUndefined(item.created_at);
  return {
    ...(optionalString(item.id) !== undefined ? { sourceId: item.id as string } : {}),
    text,
    metadata: {
      ...metadata,
      ...(optionalString(item.id) !== undefined ? { mem0_id: item.id as string } : {}),
      ...(optionalString(item.hash) !== undefined ? { mem0_hash: item.hash as string } : {}),
      ...(optionalString(item.app_id) !== undefined ? { mem0_app_id: item.app_id as string } : {}),
      ...(updatedAt !== undefined ? { mem0_updated_at: updatedAt } : {}),
    },
    tags: categories,
    ...(userId !== undefined ? { userId } : {}),
    ...(agentId !== undefined ? { agentId } : {}),
    ...(sessionId !== undefined ? { sessionId } : {}),
    ...(createdAt !== undefined ? { createdAt } : {}),
  };
}

function fromPlain(item: Record<string, unknown>, where: number): ExternalMemory {
  if (typeof item.text !== "string" || item.text.trim() === "") throw fileRejected(where, "has no non-empty \"text\"");
  const createdAt = instantOrUndefined(item.created_at);
  const tags = Array.isArray(item.tags) ? item.tags.filter((t): t is string => typeof t === "string") : [];
  const userId = optionalString(item.user_id);
  return {
    ...(optionalString(item.id) !== undefined ? { sourceId: item.id as string } : {}),
    text: item.text,
    metadata: flatMetadata(item.metadata),
    tags,
    ...(userId !== undefined ? { userId } : {}),
    ...(createdAt !== undefined ? { createdAt } : {}),
    ...(optionalString(item.memory_type) !== undefined ? { memoryType: item.memory_type as string } : {}),
  };
}

const asObject = (value: unknown, where: number): Record<string, unknown> => {
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw fileRejected(where, "is not a JSON object");
  return value as Record<string, unknown>;
};

/** The memories of a file in an external format. The whole text: these files hold current state only and are small next to a history. */
export function parseExternal(format: ExternalFormat, text: string): ExternalMemory[] {
  const trimmed = text.trim();
  if (trimmed === "") return [];
  if (format === "mem0" && !trimmed.includes("\n{") && (trimmed.startsWith("[") || trimmed.startsWith("{"))) {
    let document: unknown;
    try {
      document = JSON.parse(trimmed);
    } catch {
      throw fileRejected(undefined, "is not JSON (a mem0 export is a JSON document { results: [...] }, an array, or one memory per line)");
    }
    const items = Array.isArray(document) ? document : Array.isArray((document as { results?: unknown })?.results) ? (document as { results: unknown[] }).results : [document];
    return items.map((item, i) => fromMem0(asObject(item, i + 1), i + 1));
  }
  return trimmed.split("\n").flatMap((line, i) => {
    if (line.trim() === "") return [];
    let item: unknown;
    try {
      item = JSON.parse(line);
    } catch {
      throw fileRejected(i + 1, "is not JSON");
    }
    return [format === "mem0" ? fromMem0(asObject(item, i + 1), i + 1) : fromPlain(asObject(item, i + 1), i + 1)];
  });
}

/** A record of the flat JSONL others can read: the unit as it is now, no history, no provenance beyond its times. */
export interface FlatRecord {
  readonly id: string;
  readonly text: string;
  readonly metadata: Readonly<Record<string, MetadataValue>>;
  readonly created_at: string;
  readonly updated_at: string;
  readonly tags: readonly string[];
  readonly memory_type: string;
  readonly user_id: string | null;
}

/** Undefined for an erased unit: it has no text to give. */
export function flatRecord(view: MemoryView): FlatRecord | undefined {
  if (view.content === null || view.status === "erased") return undefined;
  return {
    id: view.memoryId,
    text: view.content.text,
    metadata: view.content.metadata,
    created_at: view.createdAt,
    updated_at: view.updatedAt,
    tags: view.content.tags,
    memory_type: view.attributes.memoryType,
    user_id: view.content.userId ?? null,
  };
}
