import { Context, Effect, Layer } from "effect";
import { redactionRecordStreamId, redactionSettingsStreamId, type MemoryRedacted, type OriginalContent } from "../../domain/redaction/redactionEvents.js";
import { parseRedactionSettings, redactionOff, type KeepOriginal, type RedactionCounts, type RedactionSettings } from "../../domain/redaction/redactionSettings.js";
import { cubeNotFound, invalidRequest, memoryNotFound, type CubeNotFound, type InvalidRequest, type MemoryNotFound } from "../command/appErrors.js";
import type { CommandContext } from "../command/commandContext.js";
import { eventMetadata } from "../command/eventMetadata.js";
import { Clock } from "../clock/clock.js";
import { isSealed, seal, unseal } from "../crypto/contentCipher.js";
import { KeyRingService } from "../crypto/keyRingService.js";
import { EventStore, type RecordedEvent } from "../eventStore/eventStorePort.js";
import type { ConcurrencyConflict, EventStoreUnavailable, IdempotencyConflict } from "../eventStore/eventStoreErrors.js";
import { IdGenerator } from "../ids/idGenerator.js";
import { nameBasedId } from "../ids/nameBasedId.js";
import type { KeyStoreUnavailable } from "../keyStore/keyStorePort.js";
import { MemoryRepository } from "../memory/memoryRepository.js";
import { cubeTenantReader } from "../tenancy/cubeTenant.js";
import type { RedactedFields, RedactableFields } from "./redactContent.js";

/** A cube's redaction setting as shown to callers. */
export interface CubeRedactionView extends RedactionSettings {
  readonly cubeId: string;
  /** Absent while the cube never configured redaction (it is then off). */
  readonly configuredAt?: string;
  readonly configuredBy?: string;
}

/** What was masked in a unit and when: counts per kind, never the values. */
export interface RedactionRecordView {
  readonly memoryId: string;
  readonly operation: "create" | "edit";
  readonly revision: number;
  readonly recordedAt: string;
  readonly actor: string;
  readonly kinds: RedactionCounts;
  readonly fields: readonly string[];
  readonly keepOriginal: KeepOriginal;
}

/**
 * A record with its clear original: `original` is null when it was dropped at
 * ingest or shredded by an erasure (`originalState` says which).
 */
export interface UnredactedRecordView extends RedactionRecordView {
  readonly originalState: "dropped" | "sealed" | "shredded";
  readonly original: OriginalContent | null;
}

export type RedactionError = CubeNotFound | MemoryNotFound | InvalidRequest | EventStoreUnavailable | KeyStoreUnavailable | ConcurrencyConflict | IdempotencyConflict;

export interface RedactionApi {
  configure(cubeId: string, settings: unknown, ctx: CommandContext): Effect.Effect<CubeRedactionView, RedactionError>;
  /** With a tenant, a cube of another tenant is CubeNotFound, as a missing one. */
  settings(cubeId: string, tenantId?: string): Effect.Effect<CubeRedactionView, RedactionError>;
  /** Records the masking done on a unit's write (nothing when nothing was masked); seals the originals when the cube keeps them. */
  record(memoryId: string, operation: "create" | "edit", redacted: RedactedFields<RedactableFields>, settings: RedactionSettings, ctx: CommandContext): Effect.Effect<void, RedactionError>;
  explain(memoryId: string): Effect.Effect<readonly RedactionRecordView[], RedactionError>;
  originals(memoryId: string): Effect.Effect<readonly UnredactedRecordView[], RedactionError>;
}

export class Redaction extends Context.Tag("memledger/Redaction")<Redaction, RedactionApi>() {}

const noEvents = () => Effect.succeed([] as readonly RecordedEvent[]);

export const layerRedaction = Layer.effect(
  Redaction,
  Effect.gen(function* () {
    const store = yield* EventStore;
    const repo = yield* MemoryRepository;
    const keyRing = yield* KeyRingService;
    const clock = yield* Clock;
    const ids = yield* IdGenerator;
    const tenantOf = cubeTenantReader(store);

    const requireCube = (cubeId: string, tenantId: string | undefined) =>
      Effect.flatMap(tenantOf(cubeId), (owner) => (owner !== undefined && (tenantId === undefined || owner === tenantId) ? Effect.void : Effect.fail(cubeNotFound(cubeId))));

    const settings = (cubeId: string, tenantId?: string) =>
      Effect.gen(function* () {
        yield* requireCube(cubeId, tenantId);
        // Only the newest event matters, so a cube that changed its setting often costs one row per write.
        const [latest] = yield* store.readStream(redactionSettingsStreamId(cubeId), { direction: "backward", maxCount: 1 }).pipe(Effect.catchTag("StreamNotFound", noEvents));
        if (!latest) return { cubeId, ...redactionOff } satisfies CubeRedactionView;
        const data = latest.data as { settings: RedactionSettings };
        return { cubeId, ...data.settings, configuredAt: latest.metadata.recordedAt, configuredBy: latest.metadata.actor } satisfies CubeRedactionView;
      });

    const configure = (cubeId: string, input: unknown, ctx: CommandContext) =>
      Effect.gen(function* () {
        const parsed = parseRedactionSettings(input);
        if (!parsed.ok) return yield* Effect.fail(invalidRequest(parsed.field, parsed.why));
        yield* requireCube(cubeId, ctx.tenantId);
        const eventId = ctx.commandId ? nameBasedId(`redaction-configured:${cubeId}:${ctx.commandId}`) : ids.newId();
        yield* store.append(
          redactionSettingsStreamId(cubeId),
          [{ eventId, type: "CubeRedactionConfigured", schemaVersion: 1, data: { cubeId, settings: parsed.settings }, metadata: eventMetadata(ctx, clock, ids, { cubeId }) }],
          "any",
        );
        return yield* settings(cubeId);
      });

    const record: RedactionApi["record"] = (memoryId, operation, redacted, cubeSettings, ctx) =>
      Effect.gen(function* () {
        if (redacted.touched.length === 0) return;
        const loaded = yield* repo.load(memoryId);
        const view = loaded.projection.view;
        if (!view) return yield* Effect.fail(memoryNotFound(memoryId));
        const keyId = loaded.keyId ?? memoryId;
        // Sealed with the unit's own data key: erasing the unit or its subject destroys the key, and the original with it.
        const material = cubeSettings.keepOriginal === "sealed" ? yield* keyRing.material(keyId) : null;
        const data: MemoryRedacted["data"] = {
          memoryId,
          cubeId: view.cubeId,
          operation,
          revision: view.revision,
          kinds: redacted.counts,
          fields: redacted.touched,
          keepOriginal: material ? "sealed" : "drop",
          ...(material ? { original: seal(redacted.original, keyId, material) } : {}),
        };
        // Keyed by the command, so a retried write records its masking once.
        const eventId = ctx.commandId ? nameBasedId(`memory-redacted:${memoryId}:${operation}:${ctx.commandId}`) : ids.newId();
        const metadata = eventMetadata(ctx, clock, ids, { cubeId: view.cubeId, keyId, ...(loaded.subjectId !== undefined ? { subjectId: loaded.subjectId } : {}) });
        yield* store.append(redactionRecordStreamId(memoryId), [{ eventId, type: "MemoryRedacted", schemaVersion: 1, data, metadata }], "any");
      });

    const recordsOf = (memoryId: string) =>
      Effect.gen(function* () {
        if (!(yield* repo.load(memoryId)).projection.view) return yield* Effect.fail(memoryNotFound(memoryId));
        return yield* store.readStream(redactionRecordStreamId(memoryId)).pipe(Effect.catchTag("StreamNotFound", noEvents));
      });

    const toView = (event: RecordedEvent): RedactionRecordView => {
      const data = event.data as MemoryRedacted["data"];
      return { memoryId: data.memoryId, operation: data.operation, revision: data.revision, recordedAt: event.metadata.recordedAt, actor: event.metadata.actor, kinds: data.kinds, fields: data.fields, keepOriginal: data.keepOriginal };
    };

    const originals = (memoryId: string) =>
      Effect.flatMap(recordsOf(memoryId), (events) =>
        Effect.forEach(events, (event) =>
          Effect.gen(function* () {
            const data = event.data as MemoryRedacted["data"];
            if (!isSealed(data.original)) return { ...toView(event), originalState: "dropped" as const, original: null };
            const material = yield* keyRing.material(data.original.keyId);
            if (!material) return { ...toView(event), originalState: "shredded" as const, original: null };
            return { ...toView(event), originalState: "sealed" as const, original: unseal(data.original, material) as OriginalContent };
          }),
        ),
      );

    return { configure, settings, record, explain: (memoryId) => Effect.map(recordsOf(memoryId), (events) => events.map(toView)), originals } satisfies RedactionApi;
  }),
);
