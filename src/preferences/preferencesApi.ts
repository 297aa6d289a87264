import type { Resource } from "../../domain/governance/authorize.js";
import type { Action } from "../../domain/governance/permissions.js";
import { cubeNotFound, invalidRequest } from "../command/appErrors.js";
import type { CommandContext } from "../command/commandContext.js";
import type { JobRecord } from "../jobs/jobBusPort.js";
import type { UserProfile } from "./userProfile.js";

/** Preference memory (docs/feedback-and-preferences.md): explicit and implicit preferences and persona, as a profile per user. */
export interface PreferencesApi<Ctx> {
  /** A durable `preferences.infer` job over the user's recent units (`memory.write` on the cube); its result lists what was created and updated. */
  infer(cubeId: string, userId: string, ctx?: Ctx): Promise<JobRecord>;
  /** The user's current explicit and implicit preferences and persona attributes, with confidence and evidence (`memory.read`). */
  profile(cubeId: string, userId: string): Promise<UserProfile>;
}

/** The service's operations as promises, trusted. */
export interface PreferencesOps {
  infer(cubeId: string, userId: string, ctx: CommandContext): Promise<JobRecord>;
  profile(cubeId: string, userId: string, tenantId: string): Promise<UserProfile>;
}

export interface PreferencesCaller<Ctx> {
  check(action: Action, resource: Resource, notFound: () => Error): Promise<void>;
  ctxOf(options?: Ctx): CommandContext;
  tenantOfCube(cubeId: string): Promise<string | undefined>;
}

const userIdPattern = /^[A-Za-z0-9._:@-]{1,200}$/;

/** Written once for the root ledger and a principal's: only the caller differs. */
export function preferencesFacade<Ctx>(ops: PreferencesOps, caller: PreferencesCaller<Ctx>): PreferencesApi<Ctx> {
  const onCube = async (cubeId: string, userId: string, action: Action) => {
    if (!userIdPattern.test(userId)) throw invalidRequest("userId", "must be 1 to 200 letters, digits or . _ : @ -");
    const owner = await caller.tenantOfCube(cubeId);
    if (owner === undefined) throw cubeNotFound(cubeId);
    await caller.check(action, { tenantId: owner, cubeId }, () => cubeNotFound(cubeId));
    return owner;
  };
  return {
    infer: async (cubeId, userId, options) => {
      await onCube(cubeId, userId, "memory.write");
      return ops.infer(cubeId, userId, caller.ctxOf(options));
    },
    profile: async (cubeId, userId) => ops.profile(cubeId, userId, await onCube(cubeId, userId, "memory.read")),
  };
}
