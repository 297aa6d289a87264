import { contentHash, searchableText } from "../../../projections/memoryIntervals.js";
import type { ProjectionEvent } from "../../../projections/projectionEvent.js";
import type { Embedder } from "../../embedding/embedderPort.js";

/** The content an event introduces (creation, edit, revert), if any: what the vector read models embed. */
export function carriedContent(item: ProjectionEvent) {
  if (item.kind !== "memory") return undefined;
  const { event } = item;
  if (event.type === "MemoryCreated" || event.type === "MemoryEdited" || event.type === "MemoryReverted") return event.data.content ?? undefined;
  return undefined;
}

/**
 * Embeds each distinct text the batch introduces after `after` (a store's
 * checkpoint: replayed events need no vectors), keyed by content hash. Runs
 * before a store's transaction, through the cached embedder.
 */
export async function embedBatchContents(embedder: Embedder, batch: readonly ProjectionEvent[], after = 0): Promise<Map<string, Float32Array>> {
  const texts = new Map<string, string>();
  for (const item of batch) {
    if (item.envelope.position <= after) continue;
    const content = carriedContent(item);
    if (content) {
      const text = searchableText(content);
      texts.set(contentHash(text), text);
    }
  }
  const hashes = [...texts.keys()];
  const vectors = await embedder.embed(hashes.map((h) => texts.get(h)!));
  return new Map(hashes.map((h, i) => [h, vectors[i]!]));
}
