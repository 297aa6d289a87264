import { Effect } from "effect";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { KeyRing } from "../crypto/keyRing.js";
import type { EventStorePort } from "../eventStore/eventStorePort.js";
import { backoffMs, latch, sleepUnless, waitForNewEvents, type Latch } from "../eventStore/logFollowing.js";
import { decodeForProjection } from "./projectionEventDecoder.js";
import type { ReadModelFactory, ReadModelStore } from "./readModelStore.js";

/**
 * Runs each read model as its own checkpointed catch-up subscription to the
 * log: read a page after the checkpoint, decode, `prepare` (async work such as
 * embeddings), `apply` (changes + checkpoint in one transaction), repeat; wait
 * for appends when caught up. A failed batch is retried with backoff and never
 * skipped, so a read model is always the fold of the log up to its checkpoint.
 *
 * Each read model lives in `<dir>/<name>-<generation>.db`; `<dir>/<name>.current`
 * names the generation in use. A rebuild projects a new generation from zero
 * beside the live one and switches when it has caught up.
 */
export interface ReadModelDefinition<S extends ReadModelStore = ReadModelStore> {
  readonly name: string;
  readonly open: ReadModelFactory<S>;
  /** Extra files a generation keeps beside its database (index files); removed with it. */
  readonly companionFiles?: (databaseFile: string) => readonly string[];
  /**
   * For stores on a server: drop what a generation keeps there (its nodes, its
   * collection) once it is replaced. Runs after the switch; a failure is logged
   * and leaves only garbage behind, never a wrong answer.
   */
  readonly retire?: (file: string) => Promise<void>;
  /** For stores on a server: make this generation the one readers there see (a Qdrant alias), before the local switch. */
  readonly activate?: (file: string) => Promise<void>;
}

export interface ReadModelLag {
  readonly name: string;
  readonly checkpoint: number;
  readonly head: number;
  /** Events in the log the read model has not folded yet. */
  readonly behind: number;
  readonly rebuilding: boolean;
  /** The last batch failure, while the runner is retrying it. */
  readonly lastError?: string;
}

export interface ProjectionRunnerOptions {
  readonly eventStore: EventStorePort;
  readonly keyRing: KeyRing;
  readonly directory: string;
  readonly definitions: readonly ReadModelDefinition[];
  /** Events per transaction while following the log; defaults to 5,000. */
  readonly batchSize?: number;
  /**
   * Events per transaction while rebuilding from zero; defaults to 20,000.
   * Bigger batches amortise index page writes (the graph folds ~15k events/s
   * at 1,000 per batch, ~26k at 20,000), and nobody reads a rebuilding generation.
   */
  readonly rebuildBatchSize?: number;
  readonly onError?: (name: string, error: unknown) => void;
}

export interface ProjectionRunner {
  /** The live store of a read model (changes after a rebuild switches). */
  store<S extends ReadModelStore>(name: string): S;
  lag(): Promise<ReadModelLag[]>;
  /** Resolves true once every read model has folded up to `position`, false after the timeout. */
  waitFor(position: number, timeoutMs: number): Promise<boolean>;
  /** Projects a fresh generation from zero beside the live one, then switches to it. */
  rebuild(name: string): Promise<{ events: number; seconds: number }>;
  stop(): Promise<void>;
}

/** A read model whose store could not be opened (its server is down); the runner keeps trying. */
export class ReadModelUnavailable extends Error {
  constructor(
    readonly readModel: string,
    readonly reason: string,
  ) {
    super(`the ${readModel} read model is not available (${reason}); it is retried in the background and catches up from its checkpoint when its engine is back`);
  }
}

interface Lane {
  definition: ReadModelDefinition;
  /** Undefined until the store opened (a server-side store whose server is down at start). */
  store?: ReadModelStore;
  file: string;
  stopRequest: Latch;
  running: Promise<void>;
  rebuilding: boolean;
  lastError?: string;
  progressed: Array<() => void>;
}

export async function startProjectionRunner(options: ProjectionRunnerOptions): Promise<ProjectionRunner> {
  const followBatchSize = options.batchSize ?? 5_000;
  const rebuildBatchSize = options.rebuildBatchSize ?? 20_000;
  const onError = options.onError ?? ((name, error) => console.warn(`memledger projection ${name}: batch failed, retrying: ${String(error)}`));
  mkdirSync(options.directory, { recursive: true });
  const lanes = new Map<string, Lane>();

  const follow = (lane: Lane, store: ReadModelStore, stopRequest: Latch, onBatch: () => void, untilHead = false): Promise<void> => {
    const batchSize = untilHead ? rebuildBatchSize : followBatchSize;
    return (async () => {
      let attempt = 0;
      while (!stopRequest.isSet()) {
        try {
          const after = store.checkpoint();
          const recorded = await Effect.runPromise(options.eventStore.readAll({ after, maxCount: batchSize }));
          if (recorded.length === 0) {
            if (untilHead) return;
            await waitForNewEvents(options.eventStore, after, stopRequest);
            continue;
          }
          const batch = await decodeForProjection(options.keyRing, recorded);
          await store.prepare?.(batch);
          await store.apply(batch);
          attempt = 0;
          delete lane.lastError;
          onBatch();
        } catch (error) {
          attempt += 1;
          lane.lastError = String(error);
          onError(lane.definition.name, error);
          await sleepUnless(stopRequest, backoffMs(attempt));
        }
      }
    })();
  };

  const notifyProgress = (lane: Lane) => () => {
    const waiting = lane.progressed;
    lane.progressed = [];
    for (const wake of waiting) wake();
  };

  /** Opens the current generation, moving to a fresh one if the stored projection version is stale. */
  const openCurrent = async (lane: Lane): Promise<void> => {
    const { definition } = lane;
    const file = currentGenerationFile(options.directory, definition.name);
    let store = await definition.open(file);
    let openFile = file;
    if (storedVersion(store) !== store.projectionVersion) {
      // A projection whose output changed shape starts over in a fresh generation.
      await store.close();
      openFile = newGenerationFile(options.directory, definition.name);
      store = await definition.open(openFile);
      await definition.activate?.(openFile);
      switchGeneration(options.directory, definition, openFile, file);
      await retireGeneration(definition, file, onError);
    } else {
      await definition.activate?.(openFile);
    }
    lane.store = store;
    lane.file = openFile;
  };

  /**
   * Opens the lane's store, retrying with backoff while its engine is
   * unreachable (Neo4j or Qdrant down at start), then follows the log. The
   * rest of memledger runs meanwhile; this read model reports the failure.
   */
  const openAndFollow = async (lane: Lane, firstAttempt: Promise<void>): Promise<void> => {
    let attempt = 0;
    let opening = firstAttempt;
    for (;;) {
      try {
        await opening;
        delete lane.lastError;
        break;
      } catch (error) {
        attempt += 1;
        lane.lastError = `cannot open: ${String(error)}`;
        onError(lane.definition.name, error);
        await sleepUnless(lane.stopRequest, backoffMs(attempt));
        if (lane.stopRequest.isSet()) return;
        opening = openCurrent(lane);
      }
    }
    await follow(lane, lane.store!, lane.stopRequest, notifyProgress(lane));
  };

  const firstOpens: Promise<unknown>[] = [];
  for (const definition of options.definitions) {
    const lane: Lane = { definition, file: "", stopRequest: latch(), running: Promise.resolve(), rebuilding: false, progressed: [] };
    const firstAttempt = openCurrent(lane);
    firstOpens.push(firstAttempt.catch(() => undefined));
    lane.running = openAndFollow(lane, firstAttempt);
    lanes.set(definition.name, lane);
  }
  // Embedded stores are open when this returns; a store whose server is down keeps retrying behind.
  await Promise.all(firstOpens);

  const laneOf = (name: string): Lane => {
    const lane = lanes.get(name);
    if (!lane) throw new Error(`no read model named ${name}; known: ${[...lanes.keys()].join(", ")}`);
    return lane;
  };

  const openStore = (lane: Lane): ReadModelStore => {
    if (lane.store === undefined) throw new ReadModelUnavailable(lane.definition.name, lane.lastError ?? "still opening");
    return lane.store;
  };

  const waitForLane = async (lane: Lane, position: number, deadline: number): Promise<boolean> => {
    while ((lane.store?.checkpoint() ?? 0) < position) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      // A read model whose engine is failing would make every caller wait the whole timeout: report it behind at once.
      if (lane.lastError !== undefined) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(remaining, 200));
        lane.progressed.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return true;
  };

  return {
    store: <S extends ReadModelStore>(name: string) => openStore(laneOf(name)) as S,
    lag: async () => {
      const head = await Effect.runPromise(options.eventStore.headPosition());
      return [...lanes.values()].map((lane) => {
        const checkpoint = lane.store?.checkpoint() ?? 0;
        return {
          name: lane.definition.name,
          checkpoint,
          head,
          behind: Math.max(0, head - checkpoint),
          rebuilding: lane.rebuilding,
          ...(lane.lastError !== undefined ? { lastError: lane.lastError } : {}),
        };
      });
    },
    waitFor: async (position, timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      for (const lane of lanes.values()) if (!(await waitForLane(lane, position, deadline))) return false;
      return true;
    },
    rebuild: async (name) => {
      const lane = laneOf(name);
      if (lane.rebuilding) throw new Error(`read model ${name} is already rebuilding`);
      const live = openStore(lane);
      lane.rebuilding = true;
      const started = Date.now();
      const nextFile = newGenerationFile(options.directory, name);
      const next = await lane.definition.open(nextFile);
      try {
        const rebuildStop = latch();
        // Catch up from zero beside the live generation, which keeps serving.
        await follow(lane, next, rebuildStop, () => undefined, true);
        // Switch: stop the live lane at a batch boundary, close the small gap, swap.
        lane.stopRequest.set();
        await lane.running;
        await follow(lane, next, rebuildStop, () => undefined, true);
        const previous = live;
        const previousFile = lane.file;
        await lane.definition.activate?.(nextFile);
        switchGeneration(options.directory, lane.definition, nextFile, previousFile);
        lane.store = next;
        lane.file = nextFile;
        await previous.close();
        removeGeneration(lane.definition, previousFile);
        await retireGeneration(lane.definition, previousFile, onError);
        lane.stopRequest = latch();
        lane.running = follow(lane, next, lane.stopRequest, notifyProgress(lane));
        return { events: next.checkpoint(), seconds: (Date.now() - started) / 1000 };
      } catch (error) {
        await next.close();
        removeGeneration(lane.definition, nextFile);
        await retireGeneration(lane.definition, nextFile, onError);
        if (lane.stopRequest.isSet()) {
          lane.stopRequest = latch();
          lane.running = follow(lane, live, lane.stopRequest, notifyProgress(lane));
        }
        throw error;
      } finally {
        lane.rebuilding = false;
      }
    },
    stop: async () => {
      for (const lane of lanes.values()) lane.stopRequest.set();
      await Promise.all([...lanes.values()].map((lane) => lane.running));
      for (const lane of lanes.values()) await lane.store?.close();
    },
  };
}

async function retireGeneration(definition: ReadModelDefinition, file: string, onError: (name: string, error: unknown) => void): Promise<void> {
  try {
    await definition.retire?.(file);
  } catch (error) {
    onError(definition.name, new Error(`could not drop the replaced generation ${basename(file)}: ${String(error)}`));
  }
}

function storedVersion(store: ReadModelStore): number {
  return store.storedProjectionVersion?.() ?? store.projectionVersion;
}

function pointerFile(directory: string, name: string): string {
  return join(directory, `${name}.current`);
}

function currentGenerationFile(directory: string, name: string): string {
  const pointer = pointerFile(directory, name);
  if (existsSync(pointer)) return join(directory, readFileSync(pointer, "utf8").trim());
  const first = join(directory, `${name}-1.db`);
  writeAtomically(pointer, `${name}-1.db\n`);
  return first;
}

function newGenerationFile(directory: string, name: string): string {
  const current = readFileSync(pointerFile(directory, name), "utf8").trim();
  const generation = Number(/-(\d+)\.db$/.exec(current)?.[1] ?? "1") + 1;
  return join(directory, `${name}-${generation}.db`);
}

function switchGeneration(directory: string, definition: ReadModelDefinition, nextFile: string, previousFile: string): void {
  writeAtomically(pointerFile(directory, definition.name), `${nextFile.slice(directory.length + 1)}\n`);
  if (previousFile !== nextFile) removeGeneration(definition, previousFile);
}

function removeGeneration(definition: ReadModelDefinition, file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`, ...(definition.companionFiles?.(file) ?? [])]) rmSync(f, { force: true, recursive: true });
}

function writeAtomically(file: string, text: string): void {
  const temp = `${file}.tmp-${process.pid}`;
  writeFileSync(temp, text);
  renameSync(temp, file);
}
