import { createHash } from "node:crypto";
import { Effect } from "effect";
import type { CubeGrant } from "../../domain/governance/accessState.js";
import { Clock } from "../clock/clock.js";
import { KeyRingService } from "../crypto/keyRingService.js";
import { CubeService } from "../cube/cubeService.js";
import { EventStore, type RecordedEvent } from "../eventStore/eventStorePort.js";
import { MemoryRepository } from "../memory/memoryRepository.js";
import { MemoryService } from "../memory/memoryService.js";
import { EmbedderService } from "../retrieval/embedderService.js";
import { loadCube } from "../cube/cubeRepository.js";
import type { CubeExportSources } from "./cubeExport.js";
import type { CubeImportTarget } from "./cubeImport.js";

type Services = EventStore | KeyRingService | MemoryRepository | MemoryService | CubeService | EmbedderService | Clock;

/** Runs an effect of the application's services and rethrows its typed failure. */
export type RunInterchange = <A, E>(effect: Effect.Effect<A, E, Services>) => Promise<A>;

const pageSize = 1000;

/** The source side of an export and the target side of an import, over one instance's log and key store (trusted). */
export function interchangeStore(run: RunInterchange, grantsOf: (cubeId: string) => Promise<readonly CubeGrant[]>): { readonly sources: CubeExportSources; readonly target: CubeImportTarget } {
  let embeddingModel: string | null | undefined;
  const modelId = async () => {
    if (embeddingModel === undefined) embeddingModel = await run(Effect.map(EmbedderService, (e) => e?.embedder.modelId ?? null));
    return embeddingModel;
  };
  let now = new Date().toISOString();
  const refreshNow = () => run(Effect.map(Clock, (c) => (now = c.now().toISOString())));

  const sources: CubeExportSources = {
    // Stable per log and revealing nothing: a digest of its first event's id.
    instanceId: () =>
      run(
        Effect.gen(function* () {
          const store = yield* EventStore;
          const [first] = yield* store.readAll({ maxCount: 1 });
          return createHash("sha256").update(`memledger-instance:${first?.eventId ?? "empty"}`).digest("hex").slice(0, 32);
        }),
      ),
    cube: (cubeId) => run(Effect.flatMap(CubeService, (s) => s.get(cubeId))),
    unitIds: (cubeId) => run(Effect.flatMap(EventStore, (store) => Effect.map(loadCube(store, cubeId), (cube) => cube.state?.memoryIds ?? []))),
    unitEvents: (memoryId) => run(Effect.flatMap(MemoryRepository, (r) => r.loadEvents(memoryId))),
    unitNow: (memoryId) => run(Effect.flatMap(MemoryService, (s) => s.get(memoryId))),
    grants: grantsOf,
    embeddingModel: () => embeddingModel ?? null,
    now: () => now,
  };

  const target: CubeImportTarget = {
    streamEventIds: (streamId) =>
      run(
        Effect.gen(function* () {
          const store = yield* EventStore;
          const ids: string[] = [];
          for (let from = 0; ; from += pageSize) {
            const page = yield* store.readStream(streamId, { fromRevision: from, maxCount: pageSize }).pipe(Effect.catchTag("StreamNotFound", () => Effect.succeed([] as readonly RecordedEvent[])));
            for (const event of page) ids.push(event.eventId);
            if (page.length < pageSize) return ids;
          }
        }),
      ),
    append: async (streamId, events, expected) => void (await run(Effect.flatMap(EventStore, (store) => store.append(streamId, events, expected)))),
    keyFor: (keyId, subjectId, create) =>
      run(
        Effect.gen(function* () {
          const ring = yield* KeyRingService;
          const material = yield* ring.material(keyId);
          if (material !== null || !create) return material;
          return (yield* ring.create(subjectId, keyId)).material;
        }),
      ),
    forget: () => undefined,
    embeddingModel: () => embeddingModel ?? null,
    now: () => now,
  };
  // Both sides read the clock and the model before they start; these two calls keep them current.
  return {
    sources: { ...sources, instanceId: async () => (await Promise.all([refreshNow(), modelId()]), sources.instanceId()) },
    target: { ...target, streamEventIds: async (streamId) => (await Promise.all([refreshNow(), modelId()]), target.streamEventIds(streamId)) },
  };
}
