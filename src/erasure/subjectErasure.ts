import { Context, Effect, Layer } from "effect";
import { subjectStreamId, type SubjectErased } from "../../domain/subject/subjectEvents.js";
import { invalidRequest, type InvalidRequest } from "../command/appErrors.js";
import type { CommandContext } from "../command/commandContext.js";
import { eventMetadata } from "../command/eventMetadata.js";
import { Clock } from "../clock/clock.js";
import { KeyRingService } from "../crypto/keyRingService.js";
import { EventStore, type RecordedEvent } from "../eventStore/eventStorePort.js";
import type { EventStoreUnavailable } from "../eventStore/eventStoreErrors.js";
import { IdGenerator } from "../ids/idGenerator.js";
import type { KeyStoreUnavailable } from "../keyStore/keyStorePort.js";
import { MemoryRepository } from "../memory/memoryRepository.js";
import { MemoryService, type MemoryWriteError } from "../memory/memoryService.js";
import { HoldRegistry } from "../holdCheck/holdRegistry.js";
import { holdGate } from "../holdCheck/holdGate.js";
import { cubeTenantReader } from "../tenancy/cubeTenant.js";

/** Proof that a subject was forgotten: which keys died, which units were erased, where it is recorded. */
export interface ErasureCertificate {
  readonly subjectId: string;
  readonly erasedAt: string;
  readonly erasedBy: string;
  readonly reason: string;
  readonly destroyedKeyIds: readonly string[];
  readonly erasedMemoryIds: readonly string[];
  readonly alreadyErasedMemoryIds: readonly string[];
  /** Units a legal hold kept: not erased yet, their keys alive; each erasure is pending and runs when its holds are released. */
  readonly heldMemoryIds: readonly HeldUnitReport[];
  /** Where the certificate sits in the log (stream `subject-<id>`). */
  readonly eventId: string;
  readonly position: number;
}

/** A unit of the subject that a legal hold kept from this erasure. */
export interface HeldUnitReport {
  readonly memoryId: string;
  readonly holdIds: readonly string[];
  readonly pendingErasureId?: string;
}

export interface SubjectErasureApi {
  /** Erases the subject's units in ctx's tenant only; the same subject id in another tenant is another person's data. */
  erase(subjectId: string, ctx: CommandContext): Effect.Effect<ErasureCertificate, MemoryWriteError | InvalidRequest>;
  /** The certificates erasures in this tenant wrote; the stream `subject-<id>` is shared by every tenant. */
  certificates(subjectId: string, tenantId: string): Effect.Effect<readonly ErasureCertificate[], EventStoreUnavailable>;
}

export class SubjectErasure extends Context.Tag("memledger/SubjectErasure")<SubjectErasure, SubjectErasureApi>() {}

const page = 5_000;

export const layerSubjectErasure = Layer.effect(
  SubjectErasure,
  Effect.gen(function* () {
    const store = yield* EventStore;
    const keyRing = yield* KeyRingService;
    const memories = yield* MemoryService;
    const repo = yield* MemoryRepository;
    const clock = yield* Clock;
    const ids = yield* IdGenerator;
    const holds = holdGate(yield* HoldRegistry, clock, ids);
    const cubeTenant = cubeTenantReader(store);

    /**
     * Every unit whose events, written in this tenant, name the subject, with the data keys those events were sealed with:
     * a full scan, because erasure must not miss one.
     */
    const unitsOf = (subjectId: string, tenantId: string): Effect.Effect<{ memoryIds: string[]; keyIds: string[]; keysOf: Map<string, Set<string>> }, EventStoreUnavailable> =>
      Effect.gen(function* () {
        const found = new Set<string>();
        const keyIds = new Set<string>();
        const keysOf = new Map<string, Set<string>>();
        let after = 0;
        for (;;) {
          const events = yield* store.readAll({ after, maxCount: page });
          for (const e of events) {
            if (e.metadata.subjectId !== subjectId || e.metadata.tenantId !== tenantId) continue;
            // Other records sealed under one of the subject's keys (a feedback plan's words): their keys go too; they are no unit, so nothing to mark erased.
            if (!e.streamId.startsWith("memory-")) {
              if (e.metadata.keyId !== undefined) keyIds.add(e.metadata.keyId);
              continue;
            }
            const memoryId = e.streamId.slice("memory-".length);
            found.add(memoryId);
            // Units written before keys had their own id used the memory id as key id (as MemoryService reads them).
            keyIds.add(e.metadata.keyId ?? memoryId);
            if (!keysOf.has(memoryId)) keysOf.set(memoryId, new Set());
            keysOf.get(memoryId)!.add(e.metadata.keyId ?? memoryId);
          }
          if (events.length < page) return { memoryIds: [...found], keyIds: [...keyIds], keysOf };
          after = events[events.length - 1]!.position;
        }
      });

    const certificateEvents = (subjectId: string, tenantId: string) =>
      store.readStream(subjectStreamId(subjectId)).pipe(
        Effect.catchTag("StreamNotFound", () => Effect.succeed([] as readonly RecordedEvent[])),
        Effect.map((events) => events.filter((e) => e.type === "SubjectErased" && e.metadata.tenantId === tenantId)),
      );

    const toCertificate = (e: RecordedEvent): ErasureCertificate => {
      const data = (e.data as SubjectErased["data"]);
      return {
        subjectId: data.subjectId,
        erasedAt: e.metadata.recordedAt,
        erasedBy: e.metadata.actor,
        reason: data.reason,
        destroyedKeyIds: data.destroyedKeyIds,
        erasedMemoryIds: data.erasedMemoryIds,
        alreadyErasedMemoryIds: data.alreadyErasedMemoryIds,
        heldMemoryIds: data.heldMemoryIds ?? [],
        eventId: e.eventId,
        position: e.position,
      };
    };

    const api: SubjectErasureApi = {
      erase: (subjectId, ctx) =>
        Effect.gen(function* () {
          if (typeof subjectId !== "string" || subjectId === "") return yield* Effect.fail(invalidRequest("subjectId", "must be a non-empty string"));
          // A retried request (same Idempotency-Key) gets the certificate its first attempt wrote.
          if (ctx.commandId) {
            const recorded = yield* certificateEvents(subjectId, ctx.tenantId);
            const earlier = recorded.find((e) => e.metadata.commandId === ctx.commandId);
            if (earlier) return toCertificate(earlier);
          }
          const reason = ctx.reason ?? "erasure request (GDPR art. 17)";
          const correlationId = ctx.correlationId ?? ids.newId();
          const unitCtx: CommandContext = { ...ctx, reason, correlationId };
          const { memoryIds, keyIds: allKeyIds, keysOf } = yield* unitsOf(subjectId, ctx.tenantId);
          // Units under legal hold keep their keys and wait (GDPR art. 17(3)(e)); each gets a pending erasure that runs on release.
          const held: HeldUnitReport[] = [];
          for (const memoryId of memoryIds) {
            const loaded = yield* repo.load(memoryId);
            const unit = loaded.projection.state;
            if (unit.status === "absent" || unit.status === "erased") continue;
            const heldUnit = { memoryId, cubeId: unit.cubeId, ...(loaded.subjectId !== undefined ? { subjectId: loaded.subjectId } : {}) };
            const tenantId = (yield* cubeTenant(unit.cubeId)) ?? ctx.tenantId;
            const covering = yield* holds.covering(tenantId, heldUnit);
            if (covering.length === 0) continue;
            const deferred = yield* holds.deferErasure(tenantId, heldUnit, { scope: "subject", subjectId, ctx: unitCtx });
            held.push({ memoryId, holdIds: covering.map((h) => h.holdId), ...(deferred.erasureId !== undefined ? { pendingErasureId: deferred.erasureId } : {}) });
          }
          const heldIds = new Set(held.map((h) => h.memoryId));
          const keptKeys = new Set(held.flatMap((h) => [...(keysOf.get(h.memoryId) ?? [])]));
          const keyIds = allKeyIds.filter((k) => !keptKeys.has(k));
          // Keys first: from this instant the content is unreadable everywhere, even if we crash before the events below.
          // Only this tenant's keys: the key store groups keys by subject id alone, and another tenant's subject of that id is someone else.
          const at = clock.now().toISOString();
          const destroyedKeyIds: string[] = [];
          for (const keyId of keyIds) if (yield* keyRing.destroy(keyId, at)) destroyedKeyIds.push(keyId);
          const erased: string[] = [];
          const already: string[] = [];
          for (const memoryId of memoryIds) {
            if (heldIds.has(memoryId)) continue;
            const loaded = yield* repo.load(memoryId);
            if (loaded.projection.state.status === "erased") already.push(memoryId);
            else {
              yield* memories.erase(memoryId, unitCtx, "subject");
              erased.push(memoryId);
            }
            repo.forget(memoryId);
          }
          const data: SubjectErased["data"] = { subjectId, reason, destroyedKeyIds, erasedMemoryIds: erased, alreadyErasedMemoryIds: already, ...(held.length > 0 ? { heldMemoryIds: held } : {}) };
          const eventId = ids.newId();
          const result = yield* store.append(
            subjectStreamId(subjectId),
            [{ eventId, type: "SubjectErased", schemaVersion: 1, data, metadata: eventMetadata(unitCtx, clock, ids) }],
            "any",
          );
          const [stored] = yield* store.readStream(subjectStreamId(subjectId), { fromRevision: result.nextExpectedRevision, maxCount: 1 }).pipe(Effect.orDie);
          return toCertificate(stored!);
        }),
      certificates: (subjectId, tenantId) => Effect.map(certificateEvents(subjectId, tenantId), (events) => events.map(toCertificate)),
    };
    return api;
  }),
);

export type { KeyStoreUnavailable };
