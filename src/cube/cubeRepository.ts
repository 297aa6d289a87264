import { Effect } from "effect";
import { cubeStreamId, type CubeEvent } from "../../domain/cube/cubeEvents.js";
import { foldCube, type CubeState } from "../../domain/cube/cubeState.js";
import type { EventStorePort, RecordedEvent } from "../eventStore/eventStorePort.js";
import type { EventStoreUnavailable } from "../eventStore/eventStoreErrors.js";

/** Reads a cube's stream; cube events hold ids and names only, never personal content. */
export function loadCube(store: EventStorePort, cubeId: string): Effect.Effect<{ state: CubeState | undefined; revision: number; events: readonly RecordedEvent[] }, EventStoreUnavailable> {
  return store.readStream(cubeStreamId(cubeId)).pipe(
    Effect.catchTag("StreamNotFound", () => Effect.succeed([] as readonly RecordedEvent[])),
    Effect.map((events) => ({
      state: foldCube(events.map((e) => ({ type: e.type, data: e.data }) as CubeEvent)),
      revision: events.length === 0 ? -1 : events[events.length - 1]!.revision,
      events,
    })),
  );
}
