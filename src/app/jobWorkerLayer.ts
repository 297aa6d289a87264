import { Effect, Layer } from "effect";
import { Ingestion } from "../ingestion/ingestionService.js";
import { JobBus } from "../jobs/jobBusPort.js";
import { RetentionSweeps } from "../scheduler/retentionSweep.js";
import { ScheduledCommands } from "../scheduler/scheduledCommands.js";
import { LegalHoldService } from "../legalHold/legalHoldService.js";
import { RetentionService } from "../retention/retentionService.js";
import { MemoryDecisions } from "../memoryDecisions/decisionService.js";
import { DocumentReader } from "../documentReader/documentReaderService.js";
import { MemReader } from "../memReader/memReaderService.js";
import { Preferences } from "../preferences/preferencesService.js";

export interface JobWorkerSettings {
  readonly concurrency?: number;
  /** On shutdown, how long in-flight jobs may finish before they are released to run again. */
  readonly graceMs?: number;
  /** The worker's stable name (MEMLEDGER_WORKER_NAME): a restart under the same name takes back its crashed predecessor's jobs at once. */
  readonly name?: string;
}

/** Runs the memory job handlers for as long as the application lives; a graceful stop on shutdown. */
export const layerJobWorker = (settings: JobWorkerSettings = {}) =>
  Layer.scopedDiscard(
    Effect.gen(function* () {
      const bus = yield* JobBus;
      const ingestion = yield* Ingestion;
      const scheduled = yield* ScheduledCommands;
      const sweeps = yield* RetentionSweeps;
      const holds = yield* LegalHoldService;
      const retention = yield* RetentionService;
      const decisions = yield* MemoryDecisions;
      const documents = yield* DocumentReader;
      const reader = yield* MemReader;
      const preferences = yield* Preferences;
      yield* Effect.acquireRelease(
        bus.startWorker({ handlers: { ...ingestion.handlers, ...scheduled.handlers, ...sweeps.handlers, ...holds.handlers, ...retention.handlers, ...documents.handlers, ...reader.handlers, ...decisions.handlers, ...preferences.handlers }, concurrency: settings.concurrency ?? 4, ...(settings.name !== undefined ? { workerName: settings.name } : {}) }),
        (worker) => Effect.promise(() => worker.stop({ graceMs: settings.graceMs ?? 10_000 })),
      );
    }),
  );
