import { Effect } from "effect";
import type { EventStorePort, RecordedEvent } from "../eventStore/eventStorePort.js";
import type { EventStoreUnavailable } from "../eventStore/eventStoreErrors.js";

const memoryStreamPrefix = "memory-";
const scanPage = 5_000;

/**
 * Whether an event is about the subject's data in this tenant: the rule
 * erasure's `unitsOf` (src/erasure/subjectErasure.ts) applies, so an export
 * shows exactly what an erasure would forget. metadata.subjectId is fixed when
 * the unit is created (its `subjectId`, else its `userId`) and names the key
 * that seals the content, so it stays right after an edit of `userId`.
 */
export const isSubjectEvent = (event: RecordedEvent, subjectId: string, tenantId: string): boolean =>
  event.metadata.subjectId === subjectId && event.metadata.tenantId === tenantId && event.streamId.startsWith(memoryStreamPrefix);

/**
 * The subject's units in one tenant, in the order they first appear in the
 * log (stable: new units only ever come after). A full scan of the log, like
 * erasure's: an access request must not miss a unit either.
 */
export const subjectUnitIds = (store: EventStorePort, subjectId: string, tenantId: string): Effect.Effect<string[], EventStoreUnavailable> =>
  Effect.gen(function* () {
    const found = new Set<string>();
    let after = 0;
    for (;;) {
      const events = yield* store.readAll({ after, maxCount: scanPage });
      for (const event of events) if (isSubjectEvent(event, subjectId, tenantId)) found.add(event.streamId.slice(memoryStreamPrefix.length));
      if (events.length < scanPage) return [...found];
      after = events[events.length - 1]!.position;
    }
  });
