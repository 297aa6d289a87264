import { Effect } from "effect";
import { isSealed, seal, unseal, type SealedValue } from "../crypto/contentCipher.js";
import type { KeyRing } from "../crypto/keyRing.js";
import type { KeyStoreUnavailable } from "../keyStore/keyStorePort.js";
import type { FeedbackPlanned } from "./feedbackEvents.js";
import type { FeedbackStep } from "./feedbackPlan.js";

/**
 * A plan's words (the correction, each step's new text and reason) are personal data: they are stored
 * sealed under a data key of the plan's subject, like a unit's content, so a subject erasure destroys
 * them with the subject's units. What stays in clear is the plan's shape: actions, unit ids, cubes,
 * model and prompt, which the audit of what happened needs after an erasure too.
 */
type PlanWords = { readonly text: string; readonly steps: readonly { readonly newText?: string; readonly reason: string }[] };
type StoredPlan = Omit<FeedbackPlanned["data"], "text" | "steps"> & {
  readonly text: SealedValue;
  readonly steps: readonly Omit<FeedbackStep, "newText" | "reason">[];
};

export const erasedWords = "[erased]";
export const planKeyId = (planId: string) => `feedback-plan-${planId}`;

export function sealPlan(data: FeedbackPlanned["data"], keyRing: KeyRing): Effect.Effect<{ readonly data: StoredPlan; readonly keyId: string }, KeyStoreUnavailable> {
  return Effect.map(keyRing.create(data.subjectId, planKeyId(data.planId)), (key) => {
    const words: PlanWords = { text: data.text, steps: data.steps.map((step) => ({ ...(step.newText !== undefined ? { newText: step.newText } : {}), reason: step.reason })) };
    const steps = data.steps.map(({ newText: _newText, reason: _reason, ...shape }) => shape);
    return { data: { ...data, text: seal(words, key.keyId, key.material), steps }, keyId: key.keyId };
  });
}

/** The plan as written, or its shape with "[erased]" words once the key is gone. Plans stored before sealing read as they are. */
export function openPlan(stored: unknown, keyRing: KeyRing): Effect.Effect<FeedbackPlanned["data"], KeyStoreUnavailable> {
  const data = stored as StoredPlan;
  if (!isSealed(data.text)) return Effect.succeed(stored as FeedbackPlanned["data"]);
  return Effect.map(keyRing.material(data.text.keyId), (material) => {
    if (material === null) {
      return { ...data, text: erasedWords, steps: data.steps.map((step) => ({ ...step, reason: erasedWords })), shredded: true };
    }
    const words = unseal(data.text, material) as PlanWords;
    return { ...data, text: words.text, steps: data.steps.map((step, i) => ({ ...step, ...(words.steps[i]?.newText !== undefined ? { newText: words.steps[i]!.newText } : {}), reason: words.steps[i]?.reason ?? "" })) };
  });
}
