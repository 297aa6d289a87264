import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { Embedder } from "./embedderPort.js";
import { EmbedderUnavailable, EmbeddingFailed } from "./embeddingErrors.js";
import type { CloseRequest, EmbedReply, EmbedRequest, WorkerError, WorkerReady } from "./embeddingWorkerMessages.js";
import type { OnnxEmbedderOptions } from "./onnxEmbedder.js";
import { logger } from "../logging/logger.js";

export interface WorkerEmbedderOptions extends OnnxEmbedderOptions {
  /** A request taking longer than this means the worker is stuck: it is replaced and the request fails with EmbedderUnavailable. Default 120 s. */
  readonly requestTimeoutMs?: number;
  /** The worker's module; default onnxEmbedderWorker. Tests substitute one that crashes on cue. */
  readonly workerModule?: URL;
  /**
   * With no request for this long, a worker that has served any ends and takes the model and onnxruntime's memory
   * arena (a few hundred MB after bulk inference) with it; the next request starts a new one. Default 5 s; Infinity keeps it.
   */
  readonly idleMs?: number;
}

/** The worker-backed embedder; workerThreadId tells whether a worker (and its model) is loaded now. */
export interface WorkerEmbedder extends Embedder {
  /** The running worker's thread id, or undefined when none is (not started yet, ended after idling, or closed). */
  workerThreadId(): number | undefined;
}

/** Long enough that a steady stream of requests never pays a restart, short enough that memory comes back soon after a burst. */
export const defaultEmbedderIdleMs = 5_000;

type Pending = { resolve: (vectors: Float32Array[]) => void; reject: (error: Error) => void; timer: NodeJS.Timeout; count: number; worker: Worker };

/** How long close() lets the worker finish its current run before leaving it to the process exit. */
const closeGraceMs = 10_000;

/**
 * The ONNX embedder run in a worker thread, so tokenising and inference (tens of
 * milliseconds per batch, seconds per bulk add) never block the event loop.
 * A worker that dies fails its in-flight requests with EmbedderUnavailable and is
 * started again for the next request; close() lets it finish its run, then it exits.
 * A worker left without requests for `idleMs` exits too (its arena stays allocated while
 * it lives, and freeing it per run made inference 1.5-2x slower), and is started again on demand.
 */
export async function openWorkerEmbedder(options: WorkerEmbedderOptions): Promise<WorkerEmbedder> {
  const { requestTimeoutMs = 120_000, workerModule = defaultWorkerModule(), idleMs = defaultEmbedderIdleMs, ...onnxOptions } = options;
  if (!(idleMs > 0)) throw new RangeError(`idleMs must be a positive number of milliseconds (Infinity keeps the worker), got ${idleMs}`);
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let closed = false;
  let current: Promise<RunningWorker> | undefined;
  let loaded: Worker | undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  // Workers asked to exit after idling: a request must not be posted to one, it would never be answered.
  const retiring = new WeakSet<Worker>();
  // Workers that have served a request: one that has not holds the model but no grown arena, and ending it would only
  // make the first request after start-up pay a cold start.
  const used = new WeakSet<Worker>();

  const busy = (worker: Worker) => [...pending.values()].some((request) => request.worker === worker);

  /** (Re)starts the idle countdown of the current worker; called when it becomes ready and whenever its last request settles. */
  const armIdle = (worker: Worker) => {
    clearTimeout(idleTimer);
    idleTimer = undefined;
    if (!Number.isFinite(idleMs) || closed || worker !== loaded || !used.has(worker) || busy(worker)) return;
    idleTimer = setTimeout(() => {
      idleTimer = undefined;
      if (closed || worker !== loaded || busy(worker)) return;
      retiring.add(worker);
      current = undefined;
      loaded = undefined;
      void stopGracefully(worker);
    }, idleMs);
    idleTimer.unref(); // an idle embedder never keeps the process alive
  };

  const settled = (worker: Worker) => {
    if (!busy(worker)) armIdle(worker);
  };

  const failAll = (error: Error, worker?: Worker) => {
    for (const [id, request] of pending) {
      if (worker !== undefined && request.worker !== worker) continue;
      clearTimeout(request.timer);
      pending.delete(id);
      request.reject(error);
    }
  };

  const start = (): Promise<RunningWorker> => {
    const started = startWorker(workerModule, onnxOptions).then((running) => {
      running.worker.on("message", (reply: EmbedReply) => {
        const request = pending.get(reply.id);
        if (request === undefined) return; // timed out meanwhile
        pending.delete(reply.id);
        clearTimeout(request.timer);
        if ("error" in reply) request.reject(toTypedError(reply.error));
        else request.resolve(splitRows(reply.vectors, request.count));
        settled(running.worker);
      });
      running.worker.on("exit", (code) => {
        if (current === started) current = undefined; // the next request starts a fresh worker
        if (loaded === running.worker) loaded = undefined;
        if (!closed) failAll(new EmbedderUnavailable(`the embedding worker for ${running.modelId} stopped (exit code ${code}) during the request; it is restarted for the next one, so retry`), running.worker);
      });
      running.worker.on("error", (error) => logger("embedder").warn(`memledger embedding worker failed: ${error.message}`));
      if (current === started) {
        loaded = running.worker;
        armIdle(running.worker);
      }
      return running;
    });
    started.catch(() => {
      if (current === started) current = undefined; // a failed start is retried by the next request
    });
    current = started;
    return started;
  };

  const first = await start();
  const { modelId, dimensions } = first;

  const embedder: WorkerEmbedder = {
    modelId,
    dimensions,
    workerThreadId: () => (loaded === undefined || loaded.threadId < 0 ? undefined : loaded.threadId),
    async embed(texts, purpose = "passage") {
      if (closed) throw new EmbedderUnavailable(`embedder ${modelId} was closed; open a new one with openWorkerEmbedder`);
      if (texts.length === 0) return [];
      const started = current ?? start();
      const { worker } = await started;
      if (closed) throw new EmbedderUnavailable(`embedder ${modelId} was closed while this request waited; the ledger is shutting down`);
      // Exited since it started (its exit handler may already have run), or idled out: a message to it would never be answered.
      if (worker.threadId < 0 || retiring.has(worker)) {
        if (current === started) current = undefined;
        return embedder.embed(texts, purpose);
      }
      const id = nextId++;
      used.add(worker);
      clearTimeout(idleTimer); // busy again: the countdown restarts when its last request settles
      idleTimer = undefined;
      return new Promise<Float32Array[]>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new EmbedderUnavailable(`the embedding worker for ${modelId} did not answer ${texts.length} texts within ${requestTimeoutMs} ms; it is being restarted, so retry`));
          if (current === started) current = undefined; // later requests go to a fresh worker
          void worker.terminate();
        }, requestTimeoutMs);
        pending.set(id, { resolve, reject, timer, count: texts.length, worker });
        worker.postMessage({ id, texts, purpose } satisfies EmbedRequest);
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(idleTimer);
      loaded = undefined;
      failAll(new EmbedderUnavailable(`embedder ${modelId} was closed while embedding; the ledger is shutting down`));
      const running = await current?.catch(() => undefined);
      if (running !== undefined) await stopGracefully(running.worker);
    },
  };
  return embedder;
}

/** Asks the worker to exit after its current run; a worker that does not within the grace period is terminated and left behind. */
async function stopGracefully(worker: Worker): Promise<void> {
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  worker.postMessage({ close: true } satisfies CloseRequest);
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, closeGraceMs)));
  await Promise.race([exited, gaveUp]);
  clearTimeout(timer);
  void worker.terminate();
}

interface RunningWorker {
  readonly worker: Worker;
  readonly modelId: string;
  readonly dimensions: number;
}

/** Starts a worker and waits for its model to load; rejects with the worker's own error if it cannot. */
function startWorker(module: URL, options: OnnxEmbedderOptions): Promise<RunningWorker> {
  const worker = spawn(module, options);
  return new Promise((resolve, reject) => {
    const onExit = (code: number) => reject(new EmbedderUnavailable(`the embedding worker ${fileURLToPath(module)} exited (code ${code}) before loading ${options.modelDir}`));
    const onError = (error: Error) => reject(new EmbedderUnavailable(`the embedding worker ${fileURLToPath(module)} failed to start: ${error.message}`, { cause: error }));
    worker.once("exit", onExit);
    worker.once("error", onError);
    worker.once("message", (ready: WorkerReady) => {
      worker.off("exit", onExit);
      worker.off("error", onError);
      if (ready.ready) return resolve({ worker, modelId: ready.modelId, dimensions: ready.dimensions });
      void worker.terminate();
      reject(toTypedError(ready.error));
    });
  });
}

/** The compiled worker next to this file; from TypeScript sources (tests, vite-node) the .ts one, compiled in the worker by tsx. */
function defaultWorkerModule(): URL {
  const compiled = new URL("./onnxEmbedderWorker.js", import.meta.url);
  return existsSync(fileURLToPath(compiled)) ? compiled : new URL("./onnxEmbedderWorker.ts", import.meta.url);
}

function spawn(module: URL, workerData: OnnxEmbedderOptions): Worker {
  if (!module.pathname.endsWith(".ts")) return new Worker(module, { workerData });
  // Only when running from sources: tsx (a devDependency) registers its loader inside the worker, then the module loads.
  // tsx's ESM API by path: require.resolve would pick its CommonJS build, whose register() cannot load ESM hooks in a worker.
  const tsxApi = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve("tsx/package.json")), "dist", "esm", "api", "index.mjs")).href;
  const bootstrap = `const { register } = await import(${JSON.stringify(tsxApi)}); register(); await import(${JSON.stringify(module.href)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`), { workerData });
}

function splitRows(flat: Float32Array, rows: number): Float32Array[] {
  const width = flat.length / rows;
  return Array.from({ length: rows }, (_, i) => flat.slice(i * width, (i + 1) * width));
}

function toTypedError(error: WorkerError): Error {
  return error.tag === "EmbedderUnavailable" ? new EmbedderUnavailable(error.message) : new EmbeddingFailed(error.message);
}
