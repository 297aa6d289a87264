import { feedbackActions } from "../memFeedback/feedbackPlan.js";
import { jobSchema } from "./jobSchemas.js";

const open = (properties: Record<string, object>) => ({ type: "object", additionalProperties: true, properties }) as const;
const string = { type: "string" } as const;
const strings = { type: "array", items: string } as const;
const id = { type: "string", minLength: 1, maxLength: 200 } as const;

const step = open({ action: { type: "string", enum: [...feedbackActions] }, memoryId: string, cubeId: string, newText: string, successorId: string, reason: string, irreversible: { type: "boolean" } });
const change = open({ memoryId: string, action: string, beforeRevision: { type: "integer" }, afterRevision: { type: "integer" } });

/** A feedback plan as shown, applied and undone (src/memFeedback/feedbackEvents.ts). */
export const feedbackPlanSchema = open({
  planId: string,
  cubeIds: strings,
  userId: string,
  text: string,
  status: { type: "string", enum: ["planned", "applied", "undone"] },
  steps: { type: "array", items: step },
  hasIrreversibleSteps: { type: "boolean" },
  candidateIds: strings,
  model: string,
  prompt: string,
  plannedAt: string,
  plannedBy: string,
  changes: { type: "array", items: change },
  appliedAt: string,
  undone: open({ planId: string, reverted: strings, notUndoable: { type: "array", items: open({ memoryId: string, why: string }) }, at: string }),
});

export const feedbackBody = {
  type: "object",
  required: ["text"],
  additionalProperties: false,
  properties: {
    text: { type: "string", minLength: 1, maxLength: 2000 },
    userId: id,
    cubeIds: { type: "array", items: id, maxItems: 10 },
    dryRun: { type: "boolean", default: true },
    confirmErase: { type: "boolean" },
  },
} as const;

export const applyFeedbackBody = { type: "object", additionalProperties: false, properties: { confirmErase: { type: "boolean" } } } as const;

const entry = open({ memoryId: string, text: string, kind: { type: "string", enum: ["explicit", "implicit", "persona"] }, key: string, confidence: { type: "number" }, evidenceIds: strings, updatedAt: string });
const entries = { type: "array", items: entry } as const;

/** A user's profile (src/preferences/userProfile.ts). */
export const userProfileSchema = open({ cubeId: string, userId: string, preferences: open({ explicit: entries, implicit: entries }), persona: entries });

export const inferJobSchema = jobSchema;
