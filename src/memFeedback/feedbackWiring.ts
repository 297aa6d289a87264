import { Effect, Option } from "effect";
import { holdsCovering } from "../../domain/legalHold/holdState.js";
import { ChatModel } from "../chatModel/chatModelPort.js";
import { Clock } from "../clock/clock.js";
import { eventMetadata } from "../command/eventMetadata.js";
import { EventStore, type RecordedEvent } from "../eventStore/eventStorePort.js";
import { HoldRegistry } from "../holdCheck/holdRegistry.js";
import { IdGenerator } from "../ids/idGenerator.js";
import { feedbackEventCatalog, feedbackStreamId, type FeedbackEvent } from "./feedbackEvents.js";
import type { FeedbackPorts } from "./feedbackOps.js";

type Needs = EventStore | Clock | IdGenerator | HoldRegistry;
type Run = <A, E>(effect: Effect.Effect<A, E, Needs>) => Promise<A>;

/** The ports feedback runs on, from the ledger's runtime (`run`) and the trusted root API. */
export function feedbackPorts(run: Run, root: () => ReturnType<FeedbackPorts["root"]>): FeedbackPorts {
  return {
    root,
    chatModel: () => run(Effect.map(Effect.serviceOption(ChatModel), Option.getOrUndefined)),
    append: (planId, cubeId, event: FeedbackEvent, ctx) =>
      run(
        Effect.gen(function* () {
          const store = yield* EventStore;
          const clock = yield* Clock;
          const ids = yield* IdGenerator;
          yield* store.append(
            feedbackStreamId(planId),
            [{ eventId: ids.newId(), type: event.type, schemaVersion: feedbackEventCatalog[event.type].schemaVersion, data: event.data, metadata: eventMetadata(ctx, clock, ids, { cubeId }) }],
            "any",
          );
        }),
      ),
    read: (planId) =>
      run(
        Effect.map(
          Effect.flatMap(EventStore, (store) => store.readStream(feedbackStreamId(planId)).pipe(Effect.catchTag("StreamNotFound", () => Effect.succeed([] as readonly RecordedEvent[])))),
          (events) => events.map((e) => ({ event: { type: e.type, data: e.data } as FeedbackEvent, recordedAt: e.metadata.recordedAt, actor: e.metadata.actor })),
        ),
      ),
    holdsOn: (tenantId, unit) => run(Effect.map(Effect.flatMap(HoldRegistry, (r) => r.current(tenantId)), ({ state }) => holdsCovering(state, unit))),
    newId: () => crypto.randomUUID(),
  };
}
