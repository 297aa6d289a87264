import { Effect } from "effect";
import type { CommandContext } from "../command/commandContext.js";
import type { HoldsApi } from "./holdsApi.js";
import { LegalHoldService } from "./legalHoldService.js";

type Runner = <A, E>(effect: Effect.Effect<A, E, LegalHoldService>) => Promise<A>;

/** The `holds` namespace of the trusted root ledger: no policy check, the context's actor is recorded. */
export function rootHolds(run: Runner, defaults: CommandContext): HoldsApi<CommandContext> {
  const holds = <A, E>(f: (s: (typeof LegalHoldService)["Service"]) => Effect.Effect<A, E>) => run(Effect.flatMap(LegalHoldService, f));
  return {
    place: (request, ctx) => holds((s) => s.place(request, ctx ?? defaults)),
    release: (holdId, reason, ctx) => holds((s) => s.release(holdId, reason, ctx ?? defaults)),
    list: (options = {}) => {
      const { tenantId, ...rest } = options;
      return holds((s) => s.list(tenantId ?? defaults.tenantId, rest));
    },
    pendingErasures: (options = {}) => holds((s) => s.pending(options.tenantId ?? defaults.tenantId)),
  };
}
