/**
 * The worker-thread side of workerEmbedder.ts: loads the ONNX embedder once and
 * answers embed requests, so tokenising, inference and pooling never run on the
 * main thread. Messages are defined in embeddingWorkerMessages.ts.
 */
import { setPriority } from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import type { CloseRequest, EmbedReply, EmbedRequest, WorkerReady } from "./embeddingWorkerMessages.js";
import { openOnnxEmbedder, type OnnxEmbedderOptions } from "./onnxEmbedder.js";

const port = parentPort;
if (port === null) throw new Error("onnxEmbedderWorker.ts runs only as a worker thread; use openWorkerEmbedder");

/** Niceness of this thread and of onnxruntime's threads (they inherit it): on a busy machine the event loop wins the cores. */
const inferenceNiceness = 10;

try {
  // On Linux this lowers only the calling thread, before onnxruntime starts its pool from it.
  setPriority(0, inferenceNiceness);
} catch {
  // Not permitted here: run at normal priority.
}

try {
  const embedder = await openOnnxEmbedder(workerData as OnnxEmbedderOptions);
  const inFlight = new Set<Promise<void>>();
  port.on("message", (request: EmbedRequest | CloseRequest) => {
    // Terminating a thread inside an onnxruntime run never returns, so closing waits for the runs, then exits.
    if ("close" in request) {
      void Promise.allSettled(inFlight)
        .then(() => embedder.close())
        .finally(() => process.exit(0));
      return;
    }
    const run = embedder.embed(request.texts, request.purpose).then(
      (vectors) => {
        // One flat buffer, transferred rather than copied.
        const flat = new Float32Array(vectors.length * embedder.dimensions);
        vectors.forEach((vector, i) => flat.set(vector, i * embedder.dimensions));
        port.postMessage({ id: request.id, vectors: flat } satisfies EmbedReply, [flat.buffer]);
      },
      (error: unknown) => port.postMessage({ id: request.id, error: serialise(error) } satisfies EmbedReply),
    );
    inFlight.add(run);
    void run.finally(() => inFlight.delete(run));
  });
  port.postMessage({ ready: true, modelId: embedder.modelId, dimensions: embedder.dimensions } satisfies WorkerReady);
} catch (error) {
  port.postMessage({ ready: false, error: serialise(error) } satisfies WorkerReady);
}

function serialise(error: unknown) {
  const tagged = error as { _tag?: unknown; message?: unknown };
  return { tag: typeof tagged?._tag === "string" ? tagged._tag : "EmbeddingFailed", message: error instanceof Error ? error.message : String(error) };
}
