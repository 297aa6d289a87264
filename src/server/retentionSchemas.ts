const open = (properties: Record<string, object>) => ({ type: "object", additionalProperties: true, properties }) as const;
const string = { type: "string" } as const;
const days = { type: "number", minimum: 0, maximum: 36500 } as const;

const rule = {
  type: "object",
  additionalProperties: false,
  required: ["memoryType"],
  properties: {
    memoryType: { type: "string", minLength: 1, maxLength: 80, description: `"*" (every type), working, long_term, user, preference, tool, skill, raw_source or custom:<name>` },
    archiveAfterDays: days,
    freezeAfterDays: days,
    eraseAfterDays: days,
  },
} as const;

export const retentionPolicyBody = {
  type: "object",
  additionalProperties: false,
  required: ["rules"],
  properties: {
    rules: { type: "array", minItems: 1, maxItems: 100, items: rule },
    sweepEveryHours: { type: "number", minimum: 1 / 3600, maximum: 8784, description: "hours between sweeps; default 24" },
  },
} as const;
export const dryRunBody = { type: "object", additionalProperties: false, properties: { policy: retentionPolicyBody } } as const;

const action = open({ memoryId: string, action: string, memoryType: string, why: string });
const skipped = open({ memoryId: string, action: string, why: string, holdIds: { type: "array", items: string } });
export const retentionPolicySchema = open({ cubeId: string, policy: open({}), revision: { type: "integer" }, setAt: string, setBy: string, sweepJobId: string });
export const retentionPlanSchema = open({ cubeId: string, dryRun: { type: "boolean" }, at: string, actions: { type: "array", items: action }, skipped: { type: "array", items: skipped } });
export const retentionRemovedSchema = open({ cubeId: string, removed: { type: "boolean" } });
export const retentionRunsSchema = open({
  runs: {
    type: "array",
    items: open({
      cubeId: string,
      jobId: string,
      policyRevision: { type: "integer" },
      at: string,
      actions: { type: "array", items: action },
      skipped: { type: "array", items: skipped },
      failed: { type: "array", items: open({ memoryId: string, action: string, error: string }) },
      nextRunAt: string,
      recordedAt: string,
      eventId: string,
    }),
  },
});
