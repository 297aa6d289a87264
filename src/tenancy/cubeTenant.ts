import { Effect } from "effect";
import { cubeStreamId } from "../../domain/cube/cubeEvents.js";
import type { EventStorePort, RecordedEvent } from "../eventStore/eventStorePort.js";
import type { EventStoreUnavailable } from "../eventStore/eventStoreErrors.js";

/** The tenant a cube was created in, or undefined when no cube has this id. */
export type TenantOf = (cubeId: string) => Effect.Effect<string | undefined, EventStoreUnavailable>;

/**
 * Reads only the cube's first event (its CubeCreated), never the whole stream:
 * a cube stream grows with every unit registered in it. A cube's tenant never
 * changes, so each answer found is kept; a missing cube is asked again, as it may be created later.
 */
export function cubeTenantReader(store: EventStorePort): TenantOf {
  const known = new Map<string, string>();
  return (cubeId) => {
    const cached = known.get(cubeId);
    if (cached !== undefined) return Effect.succeed(cached);
    return store.readStream(cubeStreamId(cubeId), { maxCount: 1 }).pipe(
      Effect.catchTag("StreamNotFound", () => Effect.succeed([] as readonly RecordedEvent[])),
      Effect.map(([first]) => {
        // A stream that does not open with CubeCreated is no cube (e.g. a registry stream a reserved id would name).
        if (first?.type !== "CubeCreated") return undefined;
        known.set(cubeId, first.metadata.tenantId);
        return first.metadata.tenantId;
      }),
    );
  };
}
