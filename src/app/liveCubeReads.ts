import { Effect } from "effect";
import type { AsOf } from "../../projections/asOf.js";
import { MemoryService } from "../memory/memoryService.js";
import { Retrieval } from "../retrieval/retrievalService.js";
import type { SearchRequest } from "../search/searchRequest.js";
import { CubeService } from "../cube/cubeService.js";

/**
 * Reads as the ledger answers them: a unit of a removed cube is 410 CubeRemoved
 * (as of a moment before the removal it reads as it was then). The services
 * beneath stay unfiltered on purpose: subject export and erasure must still find
 * every unit of a data subject, removed cube or not.
 */
export const liveUnit = (memoryId: string, asOf?: AsOf) =>
  Effect.gen(function* () {
    const view = yield* Effect.flatMap(MemoryService, (s) => s.get(memoryId, asOf));
    yield* Effect.flatMap(CubeService, (c) => c.requireLive(view.cubeId, asOf, memoryId));
    return view;
  });

export const liveHistory = (memoryId: string) => Effect.zipRight(liveUnit(memoryId), Effect.flatMap(MemoryService, (s) => s.history(memoryId)));

export const liveDiff = (memoryId: string, fromRevision: number, toRevision: number) =>
  Effect.zipRight(liveUnit(memoryId), Effect.flatMap(MemoryService, (s) => s.diff(memoryId, fromRevision, toRevision)));

/** A search naming a removed cube is refused (410) rather than silently answering without it. */
export const liveSearch = (request: SearchRequest) =>
  Effect.gen(function* () {
    const cubes = yield* CubeService;
    for (const cubeId of request.cubeIds ?? []) yield* cubes.requireLive(cubeId, request.asOf);
    return yield* Effect.flatMap(Retrieval, (r) => r.search(request));
  });
