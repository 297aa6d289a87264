import type { JsonSchemaObject } from "../chatModel/chatModelPort.js";

export const inferPromptId = "preferences.infer";

/** One implicit preference as the model answers it (prompts/preferences.infer.md). */
export interface InferredPreference {
  readonly key: string;
  readonly text: string;
  readonly confidence: number;
  readonly evidenceIds: readonly string[];
}

export interface InferenceAnswer {
  readonly preferences: readonly InferredPreference[];
}

export const inferenceAnswerSchema: JsonSchemaObject = {
  type: "object",
  additionalProperties: false,
  required: ["preferences"],
  properties: {
    preferences: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["key", "text", "confidence", "evidenceIds"],
        properties: {
          key: { type: "string" },
          text: { type: "string" },
          confidence: { type: "number", minimum: 0, maximum: 1 },
          evidenceIds: { type: "array", items: { type: "string" } },
        },
      },
    },
  },
};

/** Keys are compared as the model may vary them: case and separators (space, _, -, /, :) do not make a new preference; all become dots. */
export const normalizeKey = (key: string) =>
  key
    .trim()
    .toLowerCase()
    .replace(/[\s_\-/:.]+/g, ".")
    .replace(/[^a-z0-9.]/g, "")
    .replace(/^\.+|\.+$/g, "")
    .slice(0, 100);

export interface CheckedInference {
  readonly preferences: readonly InferredPreference[];
  /** Preferences left out, and why: no evidence among the units shown, empty text or key. */
  readonly dropped: readonly { readonly key: string; readonly why: string }[];
}

/**
 * Keeps what can be stored: a key, a sentence, a confidence in [0, 1], and
 * evidence among the units the model was shown (a preference with no unit
 * behind it is a guess, and is dropped). One preference per key.
 */
export function checkInference(answer: InferenceAnswer, shownIds: ReadonlySet<string>): CheckedInference {
  const kept = new Map<string, InferredPreference>();
  const dropped: { key: string; why: string }[] = [];
  // A model that answered another shape has inferred nothing usable.
  for (const p of Array.isArray(answer.preferences) ? answer.preferences : []) {
    const key = normalizeKey(String(p.key ?? ""));
    const text = String(p.text ?? "").trim();
    if (key === "" || text === "") {
      dropped.push({ key: p.key, why: "no key or no text" });
      continue;
    }
    const evidenceIds = [...new Set(((Array.isArray(p.evidenceIds) ? p.evidenceIds : []) as readonly unknown[]).filter((id): id is string => typeof id === "string" && shownIds.has(id)))];
    if (evidenceIds.length === 0) {
      dropped.push({ key, why: "no evidence among the units shown" });
      continue;
    }
    if (kept.has(key)) {
      dropped.push({ key, why: "the key came twice; the first is kept" });
      continue;
    }
    kept.set(key, { key, text: text.slice(0, 1_000), confidence: Math.min(1, Math.max(0, Number.isFinite(p.confidence) ? p.confidence : 0)), evidenceIds });
  }
  return { preferences: [...kept.values()], dropped };
}
