import { decisionModes } from "../../domain/memoryDecisions/decisionEvents.js";

const open = (properties: Record<string, object>) => ({ type: "object", additionalProperties: true, properties }) as const;
const string = { type: "string" } as const;
const strings = { type: "array", items: string } as const;

const candidate = open({ memoryId: string, score: { type: "number" }, jaccard: { type: "number" }, cosine: { type: "number" } });
const step = open({ op: string, memoryId: string, successorId: string, fromMemoryId: string, validUntil: string });
const change = open({ memoryId: string, beforeRevision: { type: "integer" } });

/** A decision as listed and explained (domain/memoryDecisions/decisionLog.ts). */
export const decisionSchema = open({
  decisionId: string,
  cubeId: string,
  memoryId: string,
  decision: { type: "string", enum: ["ADD", "UPDATE", "MERGE", "NOOP"] },
  status: { type: "string", enum: ["applied", "proposed", "rejected", "reverted"] },
  targetIds: strings,
  successorId: string,
  contradicts: strings,
  validUntil: string,
  reason: string,
  decidedBy: open({ kind: string, rule: string, model: string, prompt: string, why: string }),
  candidates: { type: "array", items: candidate },
  jobId: string,
  steps: { type: "array", items: step },
  changes: { type: "array", items: change },
  decidedAt: string,
  settledBy: string,
  settledAt: string,
});
export const decisionListSchema = open({ decisions: { type: "array", items: decisionSchema } });
export const decisionModeSchema = open({ cubeId: string, mode: { type: "string", enum: [...decisionModes] } });
export const decisionModeBody = { type: "object", required: ["mode"], additionalProperties: false, properties: { mode: { type: "string", enum: [...decisionModes] } } } as const;
