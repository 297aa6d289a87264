import { createHash, createHmac } from "node:crypto";
import { Context, Data, Effect, Layer } from "effect";
import { Clock } from "../clock/clock.js";
import { KeyRingService } from "../crypto/keyRingService.js";
import { EventStore, type RecordedEvent } from "../eventStore/eventStorePort.js";
import type { EventStoreUnavailable } from "../eventStore/eventStoreErrors.js";
import { IdGenerator } from "../ids/idGenerator.js";
import type { KeyStoreUnavailable } from "../keyStore/keyStorePort.js";
import { canonicalJson } from "../command/canonicalJson.js";
import type { CommandContext } from "../command/commandContext.js";
import { eventMetadata } from "../command/eventMetadata.js";

/** An Idempotency-Key sent again with another request than the one it first came with. */
export class IdempotencyKeyReused extends Data.TaggedError("IdempotencyConflict")<{
  readonly idempotencyKey: string;
  readonly operation: string;
  readonly message: string;
}> {}

export const idempotencyKeyReused = (idempotencyKey: string, operation: string) =>
  new IdempotencyKeyReused({
    idempotencyKey,
    operation,
    message: `Idempotency-Key ${idempotencyKey} was first used for a different ${operation} request (another body or target); send a new key for a new request, or resend the original request unchanged to get its answer`,
  });

export type ClaimError = IdempotencyKeyReused | EventStoreUnavailable | KeyStoreUnavailable;

export interface RequestIdempotencyApi {
  /**
   * Records that this key now stands for this request, or confirms that a retry is the
   * same request. The returned context carries the key's scoped command id, under which
   * the services apply the command once and answer a retry with the original result.
   */
  claim(ctx: CommandContext, operation: string, request: unknown): Effect.Effect<CommandContext, ClaimError>;
}

export class RequestIdempotency extends Context.Tag("memledger/RequestIdempotency")<RequestIdempotency, RequestIdempotencyApi>() {}

export const requestKeyClaimedType = "RequestKeyClaimed";
export const requestStreamPrefix = "request-";

/** A key is scoped by tenant, actor and operation: the same key from another caller or route is another key. */
export function scopedCommandId(ctx: Pick<CommandContext, "tenantId" | "actor">, operation: string, key: string): string {
  return `req-${createHash("sha256").update(JSON.stringify([ctx.tenantId, ctx.actor, operation, key])).digest("hex").slice(0, 32)}`;
}

/** The secret that keys request fingerprints; kept in the key store so the log alone cannot confirm a guessed body. */
const fingerprintKeyId = (tenantId: string) => `request-fingerprints:${tenantId}`;
const fingerprintSubject = "system:request-fingerprints";

/**
 * Claims live in the log (stream `request-<scoped id>`, one `RequestKeyClaimed` event), so
 * they are as durable as the writes they guard and shared by every process on the same log.
 * The claim is appended before the command; the command's own events carry the scoped
 * command id. A crash after the claim leaves a claim and no effect, and the retry applies the
 * command once; a crash after the effect leaves both, and the retry finds the command id in
 * the stream and answers with the original result.
 */
export const layerRequestIdempotency = Layer.effect(
  RequestIdempotency,
  Effect.gen(function* () {
    const store = yield* EventStore;
    const keyRing = yield* KeyRingService;
    const clock = yield* Clock;
    const ids = yield* IdGenerator;

    const fingerprintSecret = (tenantId: string) =>
      Effect.gen(function* () {
        const keyId = fingerprintKeyId(tenantId);
        const existing = yield* keyRing.material(keyId);
        if (existing) return existing;
        // Another process may create it at the same moment: the loser reads the winner's key.
        const created = yield* Effect.either(keyRing.create(fingerprintSubject, keyId));
        if (created._tag === "Right") return created.right.material;
        const raced = yield* keyRing.material(keyId);
        if (raced) return raced;
        return yield* Effect.fail(created.left);
      });

    const readClaim = (streamId: string) =>
      store.readStream(streamId, { maxCount: 1 }).pipe(
        Effect.map((events): RecordedEvent | undefined => events[0]),
        Effect.catchTag("StreamNotFound", () => Effect.succeed(undefined)),
      );

    const matches = (claim: RecordedEvent, fingerprint: string) => (claim.data as { fingerprint?: unknown }).fingerprint === fingerprint;

    const claim: RequestIdempotencyApi["claim"] = (ctx, operation, request) =>
      Effect.gen(function* () {
        const key = ctx.commandId;
        if (key === undefined) return ctx;
        const commandId = scopedCommandId(ctx, operation, key);
        const scoped: CommandContext = { ...ctx, commandId };
        const secret = yield* fingerprintSecret(ctx.tenantId);
        const fingerprint = createHmac("sha256", secret).update(canonicalJson({ operation, request })).digest("hex");
        const streamId = `${requestStreamPrefix}${commandId.slice("req-".length)}`;
        const earlier = yield* readClaim(streamId);
        if (earlier) return matches(earlier, fingerprint) ? scoped : yield* Effect.fail(idempotencyKeyReused(key, operation));
        const appended = yield* Effect.either(
          store.append(
            streamId,
            [{ eventId: ids.newId(), type: requestKeyClaimedType, schemaVersion: 1, data: { operation, idempotencyKey: key, fingerprint }, metadata: eventMetadata(scoped, clock, ids) }],
            "no_stream",
          ),
        );
        if (appended._tag === "Right") return scoped;
        if (appended.left._tag !== "ConcurrencyConflict") return yield* Effect.fail(appended.left as EventStoreUnavailable);
        // The same key raced in from a concurrent request: the first claim decides.
        const winner = yield* readClaim(streamId);
        return winner && matches(winner, fingerprint) ? scoped : yield* Effect.fail(idempotencyKeyReused(key, operation));
      });

    return { claim };
  }),
);
