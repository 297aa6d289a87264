import { Effect } from "effect";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { KeyRing } from "../crypto/keyRing.js";
import type { EventStorePort } from "../eventStore/eventStorePort.js";
import { backoffMs, latch, sleepUnless, waitForNewEvents, type Latch } from "../eventStore/logFollowing.js";
import { removeAbandonedGenerations } from "./abandonedGenerations.js";
import { guardAgainstDamage } from "./damageGuard.js";
import { sharedLogPages } from "./sharedLogPages.js";
import { describeDamage, isReadModelDamage } from "./readModelDamage.js";
import type { ReadModelFactory, ReadModelStore } from "./readModelStore.js";
import type { IntegrityCheck } from "./sqliteIntegrityCheck.js";
import { logger } from "../logging/logger.js";

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
 *
 * Read models are derived data, so damage is repaired, not reported forever:
 * the current generation's file is checked when it opens (within a budget; a
 * longer check goes on in the background), and the first SQLite corruption
 * error met while applying or serving has the same effect. The damaged
 * generation stops serving (readers get ReadModelUnavailable with the
 * rebuild's progress), a new generation is projected from zero, and the
 * damaged files are deleted at the switch.
 */
export interface ReadModelDefinition<S extends ReadModelStore = ReadModelStore> {
  readonly name: string;
  readonly open: ReadModelFactory<S>;
  /**
   * Opens a generation built to replace `previousGeneration` (a rebuild), for a store that can
   * reuse what it verifies there (the vector index); `open` when absent.
   */
  readonly openReplacing?: (file: string, previousGeneration: string) => S | Promise<S>;
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
  /** For embedded stores: check a generation's file for damage before it opens (SQLite quick_check in a worker). */
  readonly checkIntegrity?: (file: string) => IntegrityCheck;
}

/** How far a rebuild has come: events folded into the new generation out of the log's head when it started. */
export interface RebuildProgress {
  readonly eventsFolded: number;
  readonly eventsToFold: number;
  readonly startedAt: string;
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
  /** Why the live generation was found damaged; set until a rebuilt generation replaces it. */
  readonly damaged?: string;
  /** The new generation's progress while rebuilding. */
  readonly rebuild?: RebuildProgress;
  /** Folded units not yet in the background index (vector points outside the HNSW graph: searched exactly, slower). */
  readonly indexPending?: number;
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
  /**
   * How long opening waits for a read model's integrity check (default 2,000 ms,
   * quick_check covers about 400 MB in that time); a longer check finishes in the
   * background and still triggers the repair. 0 skips the checks.
   */
  readonly integrityCheckBudgetMs?: number;
  readonly onError?: (name: string, error: unknown) => void;
}

export interface ProjectionRunner {
  /** The live store of a read model (changes after a rebuild switches). */
  store<S extends ReadModelStore>(name: string): S;
  lag(): Promise<ReadModelLag[]>;
  /**
   * Resolves true once every read model has folded up to `position`, false after the timeout.
   * `includeRebuilds`: a rebuild's new generation too (an erasure waits for it: it may hold the erased copies).
   */
  waitFor(position: number, timeoutMs: number, options?: { readonly includeRebuilds?: boolean }): Promise<boolean>;
  /**
   * Projects a fresh generation from zero beside the live one, then switches to it.
   * Joins the rebuild under way, if any (a repair of a damaged read model included).
   */
  rebuild(name: string): Promise<RebuildResult>;
  stop(): Promise<void>;
}

export interface RebuildResult {
  readonly events: number;
  readonly seconds: number;
}

/**
 * A read model that cannot serve now: its store could not be opened (its
 * server is down; the runner keeps trying), or its file was damaged and a new
 * generation is being rebuilt from the log (`rebuild` says how far). A 503
 * with Retry-After at the REST edge.
 */
export class ReadModelUnavailable extends Error {
  readonly _tag = "ReadModelUnavailable";
  constructor(
    readonly readModel: string,
    readonly reason: string,
    readonly rebuild?: RebuildProgress,
    readonly retryAfterSeconds = 5,
  ) {
    super(
      rebuild
        ? `the ${readModel} read model is being rebuilt from the log after damage was found (${reason}); ${rebuild.eventsFolded} of ${rebuild.eventsToFold} events folded so far; retry in ${retryAfterSeconds} s`
        : `the ${readModel} read model is not available (${reason}); it is retried in the background and catches up from its checkpoint when its engine is back`,
    );
  }
}

/** A rebuild under way: the generation being built, for progress, and its outcome. */
interface RebuildRun {
  readonly startedAt: number;
  eventsToFold: number;
  next?: ReadModelStore;
  /** When a failed repair tries again (epoch ms), to tell readers when to come back. */
  retryAt?: number;
  readonly done: Promise<RebuildResult>;
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
  /** Why the live generation is damaged; it serves nothing until the rebuild replaces it. */
  damage?: string;
  rebuildRun?: RebuildRun;
  /** The live store as readers get it: corruption errors trigger the repair. */
  guarded?: { readonly store: ReadModelStore; readonly reader: ReadModelStore };
  /** An integrity check still running in the background after the open budget. */
  integrityCheck?: IntegrityCheck;
}

export async function startProjectionRunner(options: ProjectionRunnerOptions): Promise<ProjectionRunner> {
  const followBatchSize = options.batchSize ?? 5_000;
  const rebuildBatchSize = options.rebuildBatchSize ?? 20_000;
  const integrityCheckBudgetMs = options.integrityCheckBudgetMs ?? 2_000;
  const onError = options.onError ?? ((name, error) => logger("readModels").warn(`memledger read model ${name}: ${String(error)}`));
  mkdirSync(options.directory, { recursive: true });
  const lanes = new Map<string, Lane>();
  const stopping = latch();
  // Lanes folding the same stretch of the log (all of them from zero, several rebuilds at once) read and unseal each page once.
  // Lanes a crash left apart fall into step only if the page of the lane ahead is still held when the one behind gets there: a page per lane, plus two.
  const pages = sharedLogPages({ eventStore: options.eventStore, keyRing: options.keyRing, maxPages: options.definitions.length + 2 });

  /**
   * Folds the log into `store` from its checkpoint. A batch that fails is
   * retried with backoff, except when the store's own file is damaged: then
   * following the live generation hands over to the repair, and a rebuild
   * (`untilHead`) fails so that it starts over in a fresh generation.
   */
  const follow = (lane: Lane, store: ReadModelStore, stopRequest: Latch, onBatch: () => void, untilHead = false): Promise<void> => {
    // Far behind (a full page came back), a followed lane folds in rebuild-sized batches too: nobody is served sooner by small ones.
    let batchSize = untilHead ? rebuildBatchSize : followBatchSize;
    return (async () => {
      let attempt = 0;
      while (!stopRequest.isSet()) {
        let inStore = false;
        try {
          inStore = true;
          const after = store.checkpoint();
          inStore = false;
          const batch = await pages.read(after, batchSize);
          if (batch.length === 0) {
            if (untilHead) return;
            await waitForNewEvents(options.eventStore, after, stopRequest);
            continue;
          }
          if (!untilHead) batchSize = batch.length >= batchSize ? rebuildBatchSize : followBatchSize;
          await store.prepare?.(batch);
          inStore = true;
          await store.apply(batch);
          inStore = false;
          attempt = 0;
          delete lane.lastError;
          onBatch();
        } catch (error) {
          if (inStore && isReadModelDamage(error)) {
            if (untilHead) throw error;
            if (lane.store === store) reportDamage(lane, error);
            return;
          }
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

  /** The live generation is damaged: it stops serving at once and a new generation is rebuilt beside it. */
  const reportDamage = (lane: Lane, error: unknown): void => {
    if (lane.damage !== undefined || stopping.isSet()) return;
    lane.damage = describeDamage(error);
    onError(lane.definition.name, new Error(`the current generation ${basename(lane.file)} is damaged (${lane.damage}); it serves nothing until a new generation, rebuilt from the log, replaces it`));
    // Stop folding into the damaged file; the rebuild's switch waits for this lane at a batch boundary.
    lane.stopRequest.set();
    notifyProgress(lane)();
    startRebuild(lane).catch(() => undefined);
  };

  /**
   * Waits up to the budget for the integrity check of the generation about to
   * open. Damage found in time fails the open (and starts the repair); a check
   * still running goes on in the background and reports damage when it ends.
   */
  const checkBeforeOpen = async (lane: Lane, file: string): Promise<void> => {
    const { checkIntegrity } = lane.definition;
    if (checkIntegrity === undefined || integrityCheckBudgetMs <= 0 || !existsSync(file)) return;
    const check = checkIntegrity(file);
    let timer: NodeJS.Timeout | undefined;
    const inTime = await Promise.race([
      check.verdict,
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), integrityCheckBudgetMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
    if (inTime?.damage) throw inTime.damage;
    if (inTime !== undefined) return;
    lane.integrityCheck = check;
    void check.verdict.then((verdict) => {
      delete lane.integrityCheck;
      if (verdict.damage && lane.file === file) reportDamage(lane, verdict.damage);
    });
  };

  /** Opens the current generation, moving to a fresh one if the stored projection version is stale. */
  const openCurrent = async (lane: Lane): Promise<void> => {
    const { definition } = lane;
    const file = currentGenerationFile(options.directory, definition.name);
    // Generations a killed rebuild or switch left behind would keep content that later erasures cannot reach.
    if (definition.retire === undefined) {
      removeAbandonedGenerations(options.directory, definition.name, file, (f) => definition.companionFiles?.(f) ?? [], (error) => onError(definition.name, error));
    }
    lane.file = file;
    await checkBeforeOpen(lane, file);
    let store = await definition.open(file);
    let openFile = file;
    if (storedVersion(store) !== store.projectionVersion && store.servesUntilReplaced === true) {
      // Stale but able to answer (the previous embedding model's vectors): it serves while a new generation is built beside it.
      await definition.activate?.(openFile);
      lane.store = store;
      lane.file = openFile;
      onError(definition.name, new Error(`the current generation ${basename(openFile)} was built by another model version; it keeps serving while a new generation is rebuilt from the log in the background`));
      startRebuild(lane).catch(() => undefined);
      return;
    }
    if (storedVersion(store) !== store.projectionVersion) {
      // A projection whose output changed shape starts over in a fresh generation.
      await store.close();
      openFile = newGenerationFile(options.directory, definition.name);
      store = await openReplacing(definition, openFile, file);
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
   * A damaged file is not retried: it is replaced by a rebuild.
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
        if (isReadModelDamage(error)) {
          reportDamage(lane, error);
          return;
        }
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

  /** One attempt: project a new generation from zero beside the live one, then switch to it and delete the old files. */
  const rebuildOnce = async (lane: Lane, run: RebuildRun): Promise<RebuildResult> => {
    const { definition } = lane;
    const started = Date.now();
    run.eventsToFold = await Effect.runPromise(options.eventStore.headPosition());
    const nextFile = newGenerationFile(options.directory, definition.name);
    // A healthy live generation brings its caches up to date first: the new one may adopt what checks out there.
    if (lane.damage === undefined) saveCachesQuietly(definition.name, lane.store);
    const next = await openGeneration(definition, nextFile, lane.file);
    run.next = next;
    try {
      // Catch up from zero beside the live generation, which keeps serving (unless damaged).
      await follow(lane, next, stopping, () => undefined, true);
      // Switch: stop the live lane at a batch boundary, close the small gap, swap.
      lane.stopRequest.set();
      await lane.running;
      await follow(lane, next, stopping, () => undefined, true);
      if (stopping.isSet()) throw new Error(`the rebuild of ${definition.name} was interrupted by shutdown`);
      const previous = lane.store;
      const previousFile = lane.file;
      await definition.activate?.(nextFile);
      switchGeneration(options.directory, definition, nextFile, previousFile);
      lane.store = next;
      lane.file = nextFile;
      delete lane.damage;
      delete lane.lastError;
      delete run.next;
      await closeQuietly(definition.name, previous);
      removeGeneration(definition, previousFile);
      await retireGeneration(definition, previousFile, onError);
      lane.stopRequest = latch();
      lane.running = follow(lane, next, lane.stopRequest, notifyProgress(lane));
      notifyProgress(lane)();
      return { events: next.checkpoint(), seconds: (Date.now() - started) / 1000 };
    } catch (error) {
      delete run.next;
      await closeQuietly(definition.name, next);
      removeGeneration(definition, nextFile);
      await retireGeneration(definition, nextFile, onError);
      if (lane.stopRequest.isSet() && lane.store !== undefined && lane.damage === undefined && !stopping.isSet()) {
        lane.stopRequest = latch();
        lane.running = follow(lane, lane.store, lane.stopRequest, notifyProgress(lane));
      }
      throw error;
    }
  };

  /**
   * Starts a rebuild, or joins the one under way. A rebuild that repairs a
   * damaged read model is retried with backoff until it succeeds (a full
   * disk, a transient error); a requested one on a healthy model fails to
   * its caller and the live generation goes on.
   */
  const startRebuild = (lane: Lane): Promise<RebuildResult> => {
    if (lane.rebuildRun) return lane.rebuildRun.done;
    let settle!: { resolve: (r: RebuildResult) => void; reject: (e: unknown) => void };
    const done = new Promise<RebuildResult>((resolve, reject) => (settle = { resolve, reject }));
    const run: RebuildRun = { startedAt: Date.now(), eventsToFold: 0, done };
    lane.rebuildRun = run;
    lane.rebuilding = true;
    void (async () => {
      try {
        for (let attempt = 1; ; attempt += 1) {
          try {
            settle.resolve(await rebuildOnce(lane, run));
            return;
          } catch (error) {
            // A damaged or stale generation must be replaced, so its rebuild is retried; a requested one just fails.
            if ((lane.damage === undefined && lane.store?.servesUntilReplaced !== true) || stopping.isSet()) throw error;
            const delay = backoffMs(attempt, 5_000);
            lane.lastError = `rebuild failed, retrying in ${delay} ms: ${String(error)}`;
            onError(lane.definition.name, error);
            run.retryAt = Date.now() + delay;
            await sleepUnless(stopping, delay);
            delete run.retryAt;
            if (stopping.isSet()) throw error;
          }
        }
      } catch (error) {
        settle.reject(error);
      } finally {
        if (lane.rebuildRun === run) delete lane.rebuildRun;
        lane.rebuilding = false;
      }
    })();
    return done;
  };

  const firstOpens: Promise<unknown>[] = [];
  for (const definition of options.definitions) {
    const lane: Lane = { definition, file: "", stopRequest: latch(), running: Promise.resolve(), rebuilding: false, progressed: [] };
    const firstAttempt = openCurrent(lane);
    firstOpens.push(firstAttempt.catch(() => undefined));
    lane.running = openAndFollow(lane, firstAttempt);
    lanes.set(definition.name, lane);
  }
  // Embedded stores are open (or being repaired) when this returns; a store whose server is down keeps retrying behind.
  await Promise.all(firstOpens);

  const laneOf = (name: string): Lane => {
    const lane = lanes.get(name);
    if (!lane) throw new Error(`no read model named ${name}; known: ${[...lanes.keys()].join(", ")}`);
    return lane;
  };

  /** How far the rebuild of a damaged read model has come, for readiness and 503 bodies. */
  const progressOf = (run: RebuildRun | undefined): RebuildProgress => {
    const eventsFolded = run?.next ? safeCheckpoint(run.next) : 0;
    return { eventsFolded, eventsToFold: Math.max(run?.eventsToFold ?? 0, eventsFolded), startedAt: new Date(run?.startedAt ?? Date.now()).toISOString() };
  };

  /** When to come back: the next retry of a failed repair, or the remaining events at the rate seen so far. */
  const retryAfterSeconds = (run: RebuildRun | undefined, progress: RebuildProgress): number => {
    if (run?.retryAt !== undefined) return clampSeconds((run.retryAt - Date.now()) / 1000);
    if (progress.eventsFolded === 0) return 5;
    const secondsPerEvent = (Date.now() - (run?.startedAt ?? Date.now())) / 1000 / progress.eventsFolded;
    return clampSeconds((progress.eventsToFold - progress.eventsFolded) * secondsPerEvent);
  };

  const unavailable = (lane: Lane): ReadModelUnavailable => {
    if (lane.damage === undefined) return new ReadModelUnavailable(lane.definition.name, lane.lastError ?? "still opening");
    const progress = progressOf(lane.rebuildRun);
    return new ReadModelUnavailable(lane.definition.name, lane.damage, progress, retryAfterSeconds(lane.rebuildRun, progress));
  };

  /** The live store as readers get it: a corruption error met while serving starts the repair and answers ReadModelUnavailable. */
  const reader = (lane: Lane): ReadModelStore => {
    const store = lane.store;
    if (store === undefined || lane.damage !== undefined) throw unavailable(lane);
    if (lane.guarded?.store !== store) {
      const guarded = guardAgainstDamage(
        store,
        (error) => {
          if (lane.store === store) reportDamage(lane, error);
        },
        () => unavailable(lane),
      );
      lane.guarded = { store, reader: guarded };
    }
    return lane.guarded.reader;
  };

  /** What readiness and the 503s say a lane is failing with: its damage first, then its last batch failure. */
  const laneError = (lane: Lane): string | undefined =>
    lane.damage !== undefined ? `damaged (${lane.damage}); rebuilding from the log${lane.lastError !== undefined ? `; ${lane.lastError}` : ""}` : lane.lastError;

  /** The live generation's checkpoint; reading it is the first read of a caught-up search, so it reports damage too. */
  const liveCheckpoint = (lane: Lane): number => {
    if (lane.store === undefined || lane.damage !== undefined) return 0;
    try {
      return lane.store.checkpoint();
    } catch (error) {
      if (isReadModelDamage(error)) reportDamage(lane, error);
      return 0;
    }
  };

  const rebuildBehind = (lane: Lane, position: number): boolean => lane.rebuildRun?.next !== undefined && safeCheckpoint(lane.rebuildRun.next) < position;

  const waitForLane = async (lane: Lane, position: number, deadline: number, includeRebuilds = false): Promise<boolean> => {
    while (liveCheckpoint(lane) < position || (includeRebuilds && rebuildBehind(lane, position))) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      // A read model whose engine is failing (or that is being repaired) would make every caller wait the whole timeout: report it behind at once.
      if (laneError(lane) !== undefined) return false;
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
    store: <S extends ReadModelStore>(name: string) => reader(laneOf(name)) as S,
    lag: async () => {
      const head = await Effect.runPromise(options.eventStore.headPosition());
      return [...lanes.values()].map((lane) => {
        const checkpoint = liveCheckpoint(lane);
        const lastError = laneError(lane);
        const indexing = lane.store?.backgroundIndexing?.() ?? 0;
        return {
          name: lane.definition.name,
          checkpoint,
          head,
          behind: Math.max(0, head - checkpoint),
          rebuilding: lane.rebuilding,
          ...(lastError !== undefined ? { lastError } : {}),
          ...(lane.damage !== undefined ? { damaged: lane.damage } : {}),
          ...(lane.rebuildRun !== undefined ? { rebuild: progressOf(lane.rebuildRun) } : {}),
          ...(indexing > 0 ? { indexPending: indexing } : {}),
        };
      });
    },
    waitFor: async (position, timeoutMs, waitOptions) => {
      const deadline = Date.now() + timeoutMs;
      for (const lane of lanes.values()) if (!(await waitForLane(lane, position, deadline, waitOptions?.includeRebuilds))) return false;
      return true;
    },
    rebuild: async (name) => {
      const lane = laneOf(name);
      if (lane.rebuildRun === undefined && lane.store === undefined && lane.damage === undefined) throw unavailable(lane);
      return startRebuild(lane);
    },
    stop: async () => {
      stopping.set();
      for (const lane of lanes.values()) {
        lane.stopRequest.set();
        lane.integrityCheck?.cancel();
      }
      await Promise.all([...lanes.values()].map((lane) => lane.running));
      await Promise.all([...lanes.values()].map((lane) => lane.rebuildRun?.done.catch(() => undefined)));
      pages.clear();
      for (const lane of lanes.values()) await closeQuietly(lane.definition.name, lane.store, onError);
    },
  };

  function saveCachesQuietly(name: string, store: ReadModelStore | undefined): void {
    try {
      store?.saveCaches?.();
    } catch (error) {
      onError(name, new Error(`saving the live generation's caches before a rebuild failed (the rebuild builds its own): ${String(error)}`));
    }
  }

  async function closeQuietly(name: string, store: ReadModelStore | undefined, report = onError): Promise<void> {
    try {
      await store?.close();
    } catch (error) {
      report(name, new Error(`closing a generation failed (its files are removed or kept as they are): ${String(error)}`));
    }
  }
}

/** Opens a generation to rebuild into: one left half-built by a crash is resumed from its checkpoint, unless it is damaged too. */
async function openGeneration(definition: ReadModelDefinition, file: string, previousGeneration: string): Promise<ReadModelStore> {
  try {
    return await openReplacing(definition, file, previousGeneration);
  } catch (error) {
    if (isReadModelDamage(error)) removeGeneration(definition, file);
    throw error;
  }
}

function openReplacing(definition: ReadModelDefinition, file: string, previousGeneration: string): ReadModelStore | Promise<ReadModelStore> {
  // A lane whose first open failed has no previous file.
  return definition.openReplacing !== undefined && previousGeneration !== "" ? definition.openReplacing(file, previousGeneration) : definition.open(file);
}

/** A checkpoint read from a store that may be damaged or already closed. */
function safeCheckpoint(store: ReadModelStore): number {
  try {
    return store.checkpoint();
  } catch {
    return 0;
  }
}

const clampSeconds = (seconds: number): number => Math.min(60, Math.max(1, Math.ceil(seconds)));

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
