import { Effect, Option } from "effect";
import { holdsCovering } from "../../domain/legalHold/holdState.js";
import { ChatModel } from "../chatModel/chatModelPort.js";
import { Clock } from "../clock/clock.js";
import { KeyRingService } from "../crypto/keyRingService.js";
import { eventMetadata } from "../command/eventMetadata.js";
import { EventStore, type RecordedEvent } from "../eventStore/eventStorePort.js";
import { HoldRegistry } from "../holdCheck/holdRegistry.js";
import { IdGenerator } from "../ids/idGenerator.js";
import { feedbackEventCatalog, feedbackStreamId, type FeedbackEvent } from "./feedbackEvents.js";
import type { FeedbackPorts } from "./feedbackOps.js";
import { openPlan, sealPlan } from "./sealedPlan.js";

type Needs = EventStore | Clock | IdGenerator | HoldRegistry | KeyRingService;
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
          // A plan's words are sealed under its subject's key (sealedPlan.ts); the other events hold ids and revisions only.
          const sealed = event.type === "FeedbackPlanned" ? yield* sealPlan(event.data, yield* KeyRingService) : undefined;
          const scope = sealed !== undefined && event.type === "FeedbackPlanned" ? { cubeId, subjectId: event.data.subjectId, keyId: sealed.keyId } : { cubeId };
          yield* store.append(
            feedbackStreamId(planId),
            [{ eventId: ids.newId(), type: event.type, schemaVersion: feedbackEventCatalog[event.type].schemaVersion, data: sealed?.data ?? event.data, metadata: eventMetadata(ctx, clock, ids, scope) }],
            "any",
          );
        }),
      ),
    read: (planId) =>
      run(
        Effect.gen(function* () {
          const store = yield* EventStore;
          const keyRing = yield* KeyRingService;
          const events = yield* store.readStream(feedbackStreamId(planId)).pipe(Effect.catchTag("StreamNotFound", () => Effect.succeed([] as readonly RecordedEvent[])));
          return yield* Effect.forEach(events, (e) =>
            Effect.map(e.type === "FeedbackPlanned" ? openPlan(e.data, keyRing) : Effect.succeed(e.data), (data) => ({ event: { type: e.type, data } as FeedbackEvent, recordedAt: e.metadata.recordedAt, actor: e.metadata.actor })),
          );
        }),
      ),
    holdsOn: (tenantId, unit) => run(Effect.map(Effect.flatMap(HoldRegistry, (r) => r.current(tenantId)), ({ state }) => holdsCovering(state, unit))),
    newId: () => crypto.randomUUID(),
  };
}
