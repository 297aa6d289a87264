import type { RetentionPlan } from "../../domain/retention/planRetention.js";
import type { RetentionSweepRecorded } from "../../domain/retention/retentionEvents.js";
import type { RetentionPolicy } from "../../domain/retention/retentionPolicy.js";

export interface RetentionPolicyView {
  readonly cubeId: string;
  readonly policy: RetentionPolicy;
  /** Revision of the event that set it: sweeps name the revision they applied. */
  readonly revision: number;
  readonly setAt: string;
  readonly setBy: string;
  /** On set: the first sweep's job. */
  readonly sweepJobId?: string;
}

/** What a sweep would do now, written nowhere. */
export type RetentionDryRun = RetentionPlan & { readonly cubeId: string; readonly dryRun: true };

/** One sweep's report, as recorded in the cube's retention stream. */
export type RetentionRunReport = RetentionSweepRecorded["data"] & { readonly recordedAt: string; readonly eventId: string };

/** Retention policies per cube and memory type, and the recurring sweeps that apply them (docs/compliance.md). */
export interface RetentionApi<Ctx> {
  /** Sets or replaces the cube's policy and starts its sweeps (the first runs at once). */
  setPolicy(cubeId: string, policy: RetentionPolicy, ctx?: Ctx): Promise<RetentionPolicyView>;
  getPolicy(cubeId: string): Promise<RetentionPolicyView>;
  /** Removes the policy; its sweeps stop. */
  removePolicy(cubeId: string, ctx?: Ctx): Promise<{ readonly cubeId: string; readonly removed: true }>;
  /** What a sweep would do now under the stored policy (or the one given), without writing anything. */
  dryRun(cubeId: string, policy?: RetentionPolicy): Promise<RetentionDryRun>;
  /** The sweeps' reports, oldest first. */
  runs(cubeId: string): Promise<readonly RetentionRunReport[]>;
}
