import type { RetentionPolicy } from "./retentionPolicy.js";
import type { RetentionPlan } from "./planRetention.js";

/** A cube's retention facts (stream `retention-<cubeId>`): its policy over time and what each sweep did. */
export type RetentionPolicySet = { readonly type: "RetentionPolicySet"; readonly data: { readonly cubeId: string; readonly policy: RetentionPolicy } };
export type RetentionPolicyRemoved = { readonly type: "RetentionPolicyRemoved"; readonly data: { readonly cubeId: string } };

/** One sweep's report: what it did to which unit and why, what it skipped and why. */
export type RetentionSweepRecorded = {
  readonly type: "RetentionSweepRecorded";
  readonly data: RetentionPlan & {
    readonly cubeId: string;
    readonly jobId: string;
    /** The revision of the policy event the sweep applied. */
    readonly policyRevision: number;
    readonly failed: readonly { readonly memoryId: string; readonly action: string; readonly error: string }[];
    readonly nextRunAt?: string;
  };
};

export type RetentionEvent = RetentionPolicySet | RetentionPolicyRemoved | RetentionSweepRecorded;

export const retentionEventCatalog = {
  RetentionPolicySet: { schemaVersion: 1 },
  RetentionPolicyRemoved: { schemaVersion: 1 },
  RetentionSweepRecorded: { schemaVersion: 1 },
} as const satisfies Record<RetentionEvent["type"], { schemaVersion: number }>;

export const retentionStreamId = (cubeId: string): string => `retention-${cubeId}`;
