import type { Embedder } from "./embedderPort.js";

/**
 * Search queries' vectors, kept in memory for the `capacity` most recently used
 * texts: a repeated query costs no inference, and concurrent identical queries
 * share one. Queries never reach the on-disk embedding cache, which holds
 * memory contents only (and which erasure purges).
 * Bounded by count and by bytes (text plus vector): a query's length is limited
 * only at the REST edge (4,000 characters), not for in-process callers.
 */
export function queryVectorCache(embedder: Embedder, capacity = 4_096, maxBytes = 16 * 1024 * 1024): Embedder {
  const recent = new Map<string, Promise<Float32Array>>();
  const vectorBytes = embedder.dimensions * Float32Array.BYTES_PER_ELEMENT;
  let heldBytes = 0;
  const forget = (text: string) => {
    if (recent.delete(text)) heldBytes -= text.length + vectorBytes;
  };
  const remember = (text: string, vector: Promise<Float32Array>) => {
    forget(text); // re-inserted last: a Map iterates in insertion order, so the first key is the least recently used
    if (text.length + vectorBytes > maxBytes) return;
    recent.set(text, vector);
    heldBytes += text.length + vectorBytes;
    while (recent.size > capacity || heldBytes > maxBytes) forget(recent.keys().next().value!);
  };

  return {
    modelId: embedder.modelId,
    dimensions: embedder.dimensions,
    async embed(texts) {
      const missing = [...new Set(texts.filter((text) => !recent.has(text)))];
      // Always as queries: this cache is the search queries' embedder, whatever its caller says.
      const computed = missing.length > 0 ? embedder.embed(missing, "query") : undefined;
      const fresh = new Map(missing.map((text, i) => [text, computed!.then((vectors) => vectors[i]!)]));
      // A failure is not remembered: the next request for the text tries again.
      computed?.catch(() => fresh.forEach((vector, text) => recent.get(text) === vector && forget(text)));
      const vectors = texts.map((text) => fresh.get(text) ?? recent.get(text)!);
      texts.forEach((text, i) => remember(text, vectors[i]!));
      // Copies: a caller that changes its vector must not change the cached one.
      return (await Promise.all(vectors)).map((vector) => vector.slice());
    },
    close: () => embedder.close(),
  };
}
