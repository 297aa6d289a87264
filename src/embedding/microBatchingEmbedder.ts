import type { Embedder, EmbeddingPurpose } from "./embedderPort.js";
import { EmbedderUnavailable } from "./embeddingErrors.js";

export interface MicroBatchOptions {
  /** Most texts in one call to the wrapped embedder. Default 64. */
  readonly maxBatchTexts?: number;
  /** How long the first request reaching an idle batcher waits for others to join it. Default 2 ms. */
  readonly windowMs?: number;
}

interface Waiting {
  readonly texts: readonly string[];
  readonly purpose: EmbeddingPurpose;
  readonly vectors: Float32Array[];
  /** Texts handed to the wrapped embedder so far (they come back before the next batch is taken). */
  taken: number;
  readonly resolve: (vectors: Float32Array[]) => void;
  readonly reject: (error: unknown) => void;
}

interface Slice {
  readonly request: Waiting;
  readonly from: number;
  readonly count: number;
}

/**
 * Requests that arrive together share one call to the wrapped embedder: one
 * inference run over 32 texts costs far less than 32 runs over one (padding,
 * per-run overhead, thread hand-offs). One call runs at a time; requests that
 * come meanwhile form the next batch. Batches are bounded and filled round-robin,
 * so a short search query never waits behind all of a bulk import's texts.
 */
export function microBatchingEmbedder(inner: Embedder, options: MicroBatchOptions = {}): Embedder {
  const maxBatchTexts = options.maxBatchTexts ?? 64;
  const windowMs = options.windowMs ?? 2;
  if (!Number.isInteger(maxBatchTexts) || maxBatchTexts < 1) throw new RangeError(`maxBatchTexts must be a positive integer, got ${maxBatchTexts}`);
  const queue: Waiting[] = [];
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let closed = false;
  let lastPurpose: EmbeddingPurpose | undefined;

  const schedule = () => {
    if (running !== undefined || timer !== undefined || queue.length === 0) return;
    timer = setTimeout(() => {
      timer = undefined;
      running = drain().finally(() => {
        running = undefined;
        schedule();
      });
    }, windowMs);
  };

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const slices = takeBatch(queue, maxBatchTexts, lastPurpose);
      lastPurpose = slices[0]!.request.purpose;
      // The same text asked twice in one batch (a popular query) is embedded once.
      const unique = [...new Set(slices.flatMap((s) => s.request.texts.slice(s.from, s.from + s.count)))];
      let vectors: Float32Array[];
      try {
        vectors = await inner.embed(unique, slices[0]!.request.purpose);
      } catch (error) {
        for (const request of new Set(slices.map((s) => s.request))) settle(request, error);
        continue;
      }
      const byText = new Map(unique.map((text, i) => [text, vectors[i]!]));
      for (const { request, from, count } of slices) {
        for (let i = from; i < from + count; i++) request.vectors[i] = byText.get(request.texts[i]!)!;
        if (request.taken === request.texts.length) settle(request);
      }
    }
  }

  const settle = (request: Waiting, error?: unknown) => {
    const at = queue.indexOf(request);
    if (at >= 0) queue.splice(at, 1);
    if (error === undefined) request.resolve(request.vectors);
    else request.reject(error);
  };

  return {
    modelId: inner.modelId,
    dimensions: inner.dimensions,
    embed(texts, purpose = "passage") {
      if (closed) return Promise.reject(new EmbedderUnavailable(`embedder ${inner.modelId} was closed; the ledger is shutting down`));
      if (texts.length === 0) return Promise.resolve([]);
      return new Promise((resolve, reject) => {
        queue.push({ texts, purpose, vectors: new Array<Float32Array>(texts.length), taken: 0, resolve, reject });
        schedule();
      });
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      timer = undefined;
      for (const request of [...queue]) if (request.taken === 0) settle(request, new EmbedderUnavailable(`embedder ${inner.modelId} was closed before this request ran; the ledger is shutting down`));
      await inner.close();
      await running;
    },
  };
}

/**
 * Up to `max` texts from the waiting requests, an equal share each in turn, each request's share contiguous.
 * One purpose per batch (a query and a passage are embedded differently); when both wait, batches take turns,
 * so queries never wait behind a bulk import.
 */
function takeBatch(queue: readonly Waiting[], max: number, previous: EmbeddingPurpose | undefined): Slice[] {
  const slices = new Map<Waiting, { from: number; count: number }>();
  let room = max;
  const waiting = queue.filter((r) => r.taken < r.texts.length);
  const purpose = waiting.some((r) => r.purpose !== previous) ? waiting.find((r) => r.purpose !== previous)!.purpose : previous;
  let open = waiting.filter((r) => r.purpose === purpose);
  while (room > 0 && open.length > 0) {
    const share = Math.max(1, Math.floor(room / open.length));
    for (const request of open) {
      const count = Math.min(share, request.texts.length - request.taken, room);
      if (count === 0) continue;
      const slice = slices.get(request) ?? { from: request.taken, count: 0 };
      slices.set(request, { from: slice.from, count: slice.count + count });
      request.taken += count;
      room -= count;
    }
    open = open.filter((r) => r.taken < r.texts.length);
  }
  return [...slices].map(([request, { from, count }]) => ({ request, from, count }));
}
