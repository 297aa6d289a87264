import { decisionKinds, type Candidate, type DecisionKind } from "../../domain/memoryDecisions/decisionRules.js";
import type { ChatModelPort, JsonSchemaObject } from "../chatModel/chatModelPort.js";
import { loadPrompt } from "../chatModel/promptLibrary.js";

export const decidePromptId = "memory.decide";

/** The model's answer, as the schema asks for it. */
export interface ModelAnswer {
  readonly decision: DecisionKind;
  readonly targetIds: readonly string[];
  readonly mergedText: string;
  readonly contradicts: readonly string[];
  readonly reason: string;
}

export const modelAnswerSchema: JsonSchemaObject = {
  type: "object",
  additionalProperties: false,
  required: ["decision", "targetIds", "mergedText", "contradicts", "reason"],
  properties: {
    decision: { type: "string", enum: [...decisionKinds] },
    targetIds: { type: "array", items: { type: "string" } },
    mergedText: { type: "string" },
    contradicts: { type: "array", items: { type: "string" } },
    reason: { type: "string" },
  },
};

/** What the decision job takes from the model: the answer checked against the candidates, or why it cannot be used. */
export type CheckedAnswer = { readonly ok: true; readonly answer: ModelAnswer } | { readonly ok: false; readonly why: string };

/** The model may only name candidates it was shown, and each decision needs what it acts on. */
export function checkAnswer(answer: ModelAnswer, candidates: readonly Candidate[]): CheckedAnswer {
  const known = new Set(candidates.map((c) => c.memoryId));
  const unknown = [...answer.targetIds, ...answer.contradicts].filter((id) => !known.has(id));
  if (unknown.length > 0) return { ok: false, why: `it named unit(s) it was not shown: ${unknown.join(", ")}` };
  if ((answer.decision === "UPDATE" || answer.decision === "NOOP") && answer.targetIds.length !== 1) return { ok: false, why: `${answer.decision} needs exactly one target, it gave ${answer.targetIds.length}` };
  if (answer.decision === "MERGE" && (answer.targetIds.length === 0 || answer.mergedText.trim() === "")) return { ok: false, why: "MERGE needs at least one target and the merged text" };
  return { ok: true, answer: { ...answer, targetIds: [...new Set(answer.targetIds)], contradicts: [...new Set(answer.contradicts)] } };
}

/** Asks the model about a unit no rule decided, with the prompt prompts/memory.decide.md. */
export async function askModel(model: ChatModelPort, newText: string, candidates: readonly Candidate[], signal: AbortSignal) {
  const prompt = loadPrompt(decidePromptId);
  const existing = candidates.map((c) => JSON.stringify({ id: c.memoryId, text: c.text })).join("\n");
  const answer = await model.completeStructured<ModelAnswer>({
    messages: [
      { role: "system", content: prompt.render() },
      { role: "user", content: `New memory:\n${JSON.stringify(newText)}\n\nExisting memories (one JSON object per line):\n${existing}` },
    ],
    schemaName: "memory_decision",
    schema: modelAnswerSchema,
    temperature: 0,
    // The answer is a few ids and a sentence or two: a bound keeps a rambling model from filling its context.
    maxTokens: 600,
    signal,
  });
  return { answer: answer.value, model: answer.model, prompt: prompt.ref };
}
