import { Effect } from "effect";
import { cubeStreamId } from "../../domain/cube/cubeEvents.js";
import type { AsOf } from "../../projections/asOf.js";
import type { EventStorePort, RecordedEvent } from "../eventStore/eventStorePort.js";
import type { EventStoreUnavailable } from "../eventStore/eventStoreErrors.js";

/** Who removed a cube and when (the CubeRemoved event's metadata). */
export interface Removal {
  readonly at: string;
  readonly by: string;
}

/** The cube's removal in force at `asOf` (now when absent), or undefined when it was live then. */
export type RemovalOf = (cubeId: string, asOf?: AsOf) => Effect.Effect<Removal | undefined, EventStoreUnavailable>;

interface Toggle {
  readonly removed: boolean;
  readonly position: number;
  readonly at: string;
  readonly by: string;
}

/** Whether the toggle had happened by a time or log position (inclusive, as for every as-of read). */
const happenedBy = (toggle: Toggle, moment: { readonly time: string } | { readonly position: number } | undefined): boolean =>
  moment === undefined || ("position" in moment ? toggle.position <= moment.position : Date.parse(toggle.at) <= Date.parse(moment.time));

/**
 * One small stream names every cube that was ever removed (a hint, written BEFORE the cube's CubeRemoved
 * event, so a crash between the two leaves a harmless false hint, never a removal without one). Every read
 * of a unit asks whether its cube is removed: reading the hints first keeps that question off the cube's own
 * stream for cubes never removed, so one damaged page of the log stops only the reads that need it
 * (hardening #3), and a cold read costs one short stream instead of the whole cube stream.
 * Not `cube-…`: every `cube-<id>` name may be a cube's stream.
 */
export const cubeRemovalHintsStreamId = "removed-cubes-hints";

/**
 * Every read of a unit asks whether its cube is removed, and a cube stream grows
 * with each unit registered in it: so this keeps, per cube, the removals and
 * reinstatements seen and how far it read, and each call reads only the events
 * appended since (usually none). Nothing is assumed from the cache alone, so
 * another process's removal is seen on the next call.
 *
 * Time travel: a read as of a time or log position before the removal sees the
 * cube live, as it was then (the log says so); as of a unit's own revision it
 * carries no cube time, so the cube's current state decides.
 */
export function cubeRemovalReader(store: EventStorePort): RemovalOf {
  const seen = new Map<string, { next: number; toggles: Toggle[] }>();
  const hinted = new Set<string>();
  let hintsNext = 0;
  return (cubeId, asOf) =>
    Effect.gen(function* () {
      // A cube never named in the hints was never removed: its own stream (one event per unit, long) is not read at all.
      const hints = yield* store.readStream(cubeRemovalHintsStreamId, { fromRevision: hintsNext }).pipe(Effect.catchTag("StreamNotFound", () => Effect.succeed([] as readonly RecordedEvent[])));
      for (const hint of hints) hinted.add((hint.data as { readonly cubeId: string }).cubeId);
      if (hints.length > 0) hintsNext = hints[hints.length - 1]!.revision + 1;
      if (!hinted.has(cubeId)) return undefined;
      const known = seen.get(cubeId) ?? { next: 0, toggles: [] };
      const fresh = yield* store.readStream(cubeStreamId(cubeId), { fromRevision: known.next }).pipe(Effect.catchTag("StreamNotFound", () => Effect.succeed([] as readonly RecordedEvent[])));
      if (fresh.length > 0) {
        const toggles = [...known.toggles];
        for (const e of fresh) {
          if (e.type === "CubeRemoved" || e.type === "CubeReinstated") toggles.push({ removed: e.type === "CubeRemoved", position: e.position, at: e.metadata.recordedAt, by: e.metadata.actor });
        }
        seen.set(cubeId, { next: fresh[fresh.length - 1]!.revision + 1, toggles });
      }
      const toggles = seen.get(cubeId)?.toggles ?? [];
      const moment = asOf === undefined || "revision" in asOf ? undefined : asOf;
      const last = toggles.findLast((t) => happenedBy(t, moment));
      return last?.removed ? { at: last.at, by: last.by } : undefined;
    });
}
