import { Context, Effect, Layer } from "effect";
import { rmSync, writeFileSync } from "node:fs";
import { emptyAccessState, evolveAccess, type AccessState, type PrincipalState } from "../../domain/governance/accessState.js";
import { decideGovernance } from "../../domain/governance/decideGovernance.js";
import type { GovernanceCommand } from "../../domain/governance/governanceCommands.js";
import type { GovernanceRejected } from "../../domain/governance/governanceErrors.js";
import { governanceEventCatalog, governanceStreamId, type GovernanceEvent } from "../../domain/governance/governanceEvents.js";
import type { KeyScope } from "../../domain/governance/permissions.js";
import { happenedBy, type AsOf } from "../../projections/asOf.js";
import type { CommandContext } from "../command/commandContext.js";
import { eventMetadata } from "../command/eventMetadata.js";
import { Clock } from "../clock/clock.js";
import { EventStore, type RecordedEvent } from "../eventStore/eventStorePort.js";
import type { ConcurrencyConflict, EventStoreUnavailable, IdempotencyConflict } from "../eventStore/eventStoreErrors.js";
import { IdGenerator } from "../ids/idGenerator.js";
import { matchesApiKey, newApiKey, parseApiKey } from "./apiKeySecret.js";
import { unauthenticated, type Unauthenticated } from "./governanceErrors.js";

/** Who a request is, once its credential checked out. */
export interface Authenticated {
  readonly principal: PrincipalState;
  readonly scopes: readonly KeyScope[];
  readonly keyId: string;
}

export interface IssuedKey {
  readonly keyId: string;
  readonly principalId: string;
  readonly prefix: string;
  /** The whole key: returned once, never stored, never logged. */
  readonly token: string;
  readonly scopes: readonly KeyScope[];
  readonly expiresAt?: string;
}

export type GovernanceWriteError = GovernanceRejected | ConcurrencyConflict | IdempotencyConflict | EventStoreUnavailable;

export interface GovernanceServiceApi {
  /** A tenant's principals, keys and grants, now or as they stood at `asOf`. */
  access(tenantId: string, asOf?: AsOf): Effect.Effect<AccessState, EventStoreUnavailable>;
  execute(tenantId: string, command: GovernanceCommand, ctx: CommandContext): Effect.Effect<readonly GovernanceEvent[], GovernanceWriteError>;
  issueKey(tenantId: string, request: { principalId: string; scopes: readonly KeyScope[]; expiresAt?: string }, ctx: CommandContext): Effect.Effect<IssuedKey, GovernanceWriteError>;
  /** A bearer key -> its principal, or why not (unknown, revoked, expired, disabled). */
  authenticate(token: string): Effect.Effect<Authenticated, Unauthenticated | EventStoreUnavailable>;
  /**
   * First start: when the tenant has no admin principal, create `admin`, issue it
   * a key and write the key to `keyFile` (mode 0600). The key is never logged.
   */
  ensureBootstrapAdmin(tenantId: string, keyFile: string): Effect.Effect<{ readonly created: boolean; readonly keyFile: string }, GovernanceWriteError>;
}

export class GovernanceService extends Context.Tag("memledger/GovernanceService")<GovernanceService, GovernanceServiceApi>() {}

const asGovernanceEvent = (e: RecordedEvent): GovernanceEvent => ({ type: e.type, data: e.data }) as GovernanceEvent;

/** Governance streams are short (people and grants, not memories), so a cached fold caught up on each read is cheap. */
export const layerGovernanceService = Layer.effect(
  GovernanceService,
  Effect.gen(function* () {
    const store = yield* EventStore;
    const clock = yield* Clock;
    const ids = yield* IdGenerator;
    const cache = new Map<string, { readonly revision: number; readonly state: AccessState }>();

    const readFrom = (tenantId: string, fromRevision: number) =>
      store.readStream(governanceStreamId(tenantId), { fromRevision }).pipe(Effect.catchTag("StreamNotFound", () => Effect.succeed([] as readonly RecordedEvent[])));

    const current = (tenantId: string): Effect.Effect<{ revision: number; state: AccessState }, EventStoreUnavailable> =>
      Effect.gen(function* () {
        const cached = cache.get(tenantId);
        const head = (yield* store.streamRevision(governanceStreamId(tenantId))) ?? -1;
        if (cached !== undefined && cached.revision === head) return cached;
        // Another process may have written: fold only what this one has not seen.
        const from = cached !== undefined && cached.revision < head ? cached.revision + 1 : 0;
        let state = from === 0 ? emptyAccessState(tenantId) : cached!.state;
        let revision = from - 1;
        for (const recorded of yield* readFrom(tenantId, from)) {
          state = evolveAccess(state, asGovernanceEvent(recorded));
          revision = recorded.revision;
        }
        const next = { revision, state };
        cache.set(tenantId, next);
        return next;
      });

    const access = (tenantId: string, asOf?: AsOf) =>
      asOf === undefined
        ? Effect.map(current(tenantId), (c) => c.state)
        : Effect.map(readFrom(tenantId, 0), (events) =>
            events.filter((e) => happenedBy(e, asOf)).reduce((state, e) => evolveAccess(state, asGovernanceEvent(e)), emptyAccessState(tenantId)),
          );

    const execute = (tenantId: string, command: GovernanceCommand, ctx: CommandContext): Effect.Effect<readonly GovernanceEvent[], GovernanceWriteError> =>
      Effect.gen(function* () {
        const { revision, state } = yield* current(tenantId);
        const decision = decideGovernance(state, command);
        if (decision.kind === "rejected") return yield* Effect.fail(decision.error);
        if (decision.events.length === 0) return decision.events;
        const metadata = eventMetadata({ ...ctx, tenantId }, clock, ids);
        const newEvents = decision.events.map((event) => ({ eventId: ids.newId(), type: event.type, schemaVersion: governanceEventCatalog[event.type].schemaVersion, data: event.data, metadata }));
        yield* store.append(governanceStreamId(tenantId), newEvents, revision === -1 ? "no_stream" : revision);
        return decision.events;
      }).pipe(
        // Two writers raced on the tenant's stream: decide again on the newer state.
        Effect.retry({ times: 5, while: (error) => error._tag === "ConcurrencyConflict" }),
      );

    const issueKey: GovernanceServiceApi["issueKey"] = (tenantId, request, ctx) =>
      Effect.gen(function* () {
        const key = newApiKey(tenantId);
        yield* execute(
          tenantId,
          { type: "issueApiKey", keyId: key.keyId, principalId: request.principalId, prefix: key.prefix, secretHash: key.secretHash, scopes: request.scopes, ...(request.expiresAt !== undefined ? { expiresAt: request.expiresAt } : {}) },
          ctx,
        );
        return { keyId: key.keyId, principalId: request.principalId, prefix: key.prefix, token: key.token, scopes: [...new Set(request.scopes)], ...(request.expiresAt !== undefined ? { expiresAt: request.expiresAt } : {}) };
      });

    const authenticate = (token: string): Effect.Effect<Authenticated, Unauthenticated | EventStoreUnavailable> =>
      Effect.gen(function* () {
        const parsed = parseApiKey(token);
        if (parsed === undefined) return yield* Effect.fail(unauthenticated("the bearer token is not a memledger API key (mlk.<tenant>.<key id>.<secret>)"));
        const { state } = yield* current(parsed.tenantId);
        const key = state.keys[parsed.keyId];
        // Unknown key and wrong secret read the same, so a caller cannot probe key ids.
        if (key === undefined || !matchesApiKey(token, key.secretHash)) return yield* Effect.fail(unauthenticated(`API key ${parsed.keyId} is not valid`));
        if (key.revoked) return yield* Effect.fail(unauthenticated(`API key ${key.prefix} was revoked; ask an admin for a new one`));
        if (key.expiresAt !== undefined && Date.parse(key.expiresAt) <= clock.now().getTime()) return yield* Effect.fail(unauthenticated(`API key ${key.prefix} expired at ${key.expiresAt}; ask an admin for a new one`));
        const principal = state.principals[key.principalId];
        if (principal === undefined || principal.disabled) return yield* Effect.fail(unauthenticated(`principal ${key.principalId} is disabled`));
        return { principal, scopes: key.scopes, keyId: key.keyId };
      });

    const ensureBootstrapAdmin: GovernanceServiceApi["ensureBootstrapAdmin"] = (tenantId, keyFile) =>
      Effect.gen(function* () {
        const { state } = yield* current(tenantId);
        if (Object.values(state.principals).some((p) => p.kind === "admin" && !p.disabled)) return { created: false, keyFile };
        const ctx: CommandContext = { tenantId, actor: "system:bootstrap", reason: "first start: no admin principal in this tenant" };
        yield* execute(tenantId, { type: "createPrincipal", principalId: "admin", kind: "admin", displayName: "bootstrap administrator", roles: [], groups: [] }, ctx);
        const key = yield* issueKey(tenantId, { principalId: "admin", scopes: ["admin"] }, ctx);
        // A fresh file created 0600 before the secret is in it, so no other user can ever read it.
        rmSync(keyFile, { force: true });
        writeFileSync(keyFile, `${key.token}\n`, { mode: 0o600, flag: "wx" });
        return { created: true, keyFile };
      });

    return { access, execute, issueKey, authenticate, ensureBootstrapAdmin } satisfies GovernanceServiceApi;
  }),
);
