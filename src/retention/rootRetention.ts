import { Effect } from "effect";
import type { CommandContext } from "../command/commandContext.js";
import type { RetentionApi } from "./retentionApi.js";
import { RetentionService } from "./retentionService.js";

type Runner = <A, E>(effect: Effect.Effect<A, E, RetentionService>) => Promise<A>;

/** The `retention` namespace of the trusted root ledger: no policy check; reads find the cube in whichever tenant owns it. */
export function rootRetention(run: Runner, defaults: CommandContext): RetentionApi<CommandContext> {
  const retention = <A, E>(f: (s: (typeof RetentionService)["Service"]) => Effect.Effect<A, E>) => run(Effect.flatMap(RetentionService, f));
  return {
    setPolicy: (cubeId, policy, ctx) => retention((s) => s.setPolicy(cubeId, policy, ctx ?? defaults)),
    getPolicy: (cubeId) => retention((s) => s.getPolicy(cubeId)),
    removePolicy: (cubeId, ctx) => retention((s) => s.removePolicy(cubeId, ctx ?? defaults)),
    dryRun: (cubeId, policy) => retention((s) => s.dryRun(cubeId, undefined, policy)),
    runs: (cubeId) => retention((s) => s.runs(cubeId)),
  };
}
