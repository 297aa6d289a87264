import { Effect, Layer } from "effect";
import { exists } from "../../domain/memory/memoryState.js";
import { cubeRemovalReader } from "./cubeRemovals.js";
import { cubeRemoved } from "../command/cubeRemovedErrors.js";
import { EventStore } from "../eventStore/eventStorePort.js";
import { MemoryRepository } from "../memory/memoryRepository.js";
import { MemoryService, type MemoryServiceApi } from "../memory/memoryService.js";

/**
 * MemoryService that refuses to change units of a removed cube (hot-plug): a
 * removed cube is unplugged, and what it holds stays exactly as it was until
 * it is reinstated. Left through on purpose:
 * - erase (a unit's or a subject's): erasure stays separate from removal and is never blocked by it;
 * - freeze: a legal hold or retention freeze must still bind;
 * - activate and processing failures: they finish an add already acknowledged
 *   (async ingestion), which must not be lost because the cube was removed meanwhile.
 */
const layerLiveCubeWrites = Layer.effect(
  MemoryService,
  Effect.gen(function* () {
    const inner = yield* MemoryService;
    const repo = yield* MemoryRepository;
    const removalOf = cubeRemovalReader(yield* EventStore);

    const requireLiveCube = (cubeId: string, memoryId?: string) =>
      Effect.flatMap(removalOf(cubeId), (removal) => (removal ? Effect.fail(cubeRemoved(cubeId, removal, memoryId)) : Effect.void));
    /** A unit that does not exist is left for the inner service to refuse as it always does. */
    const requireLiveUnit = (memoryId: string) =>
      Effect.flatMap(repo.load(memoryId), (loaded) => (exists(loaded.projection.state) ? requireLiveCube(loaded.projection.state.cubeId, memoryId) : Effect.void));

    return {
      ...inner,
      create: (input, ctx) => Effect.zipRight(typeof input.cubeId === "string" && input.cubeId !== "" ? requireLiveCube(input.cubeId) : Effect.void, inner.create(input, ctx)),
      edit: (memoryId, edit, ctx, options) => Effect.zipRight(requireLiveUnit(memoryId), inner.edit(memoryId, edit, ctx, options)),
      merge: (memoryId, successorId, ctx, options) => Effect.zipRight(requireLiveUnit(memoryId), inner.merge(memoryId, successorId, ctx, options)),
      archive: (memoryId, ctx, options) => Effect.zipRight(requireLiveUnit(memoryId), inner.archive(memoryId, ctx, options)),
      restore: (memoryId, ctx, options) => Effect.zipRight(requireLiveUnit(memoryId), inner.restore(memoryId, ctx, options)),
      revert: (memoryId, toRevision, ctx, options) => Effect.zipRight(requireLiveUnit(memoryId), inner.revert(memoryId, toRevision, ctx, options)),
    } satisfies MemoryServiceApi;
  }),
);

/** The given MemoryService layer, refusing writes to units of removed cubes. */
export const withLiveCubeWrites = <E, R>(memoryService: Layer.Layer<MemoryService, E, R>) => Layer.provideMerge(layerLiveCubeWrites, memoryService);
