import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import type { ChatAnswer, ChatMessage, JsonSchemaObject, StructuredAnswer, StructuredRequest } from "./chatModelPort.js";
import { ChatModelAnswerInvalid } from "./chatModelErrors.js";
import { addUsage, noUsage } from "./tokenUsage.js";

/**
 * The validate-and-repair loop every adapter shares: ask, parse, validate
 * against the schema, and when the answer does not validate send the errors
 * back (a bounded number of rounds) instead of trusting or silently dropping
 * it. Endpoints that enforce the schema while decoding (OpenAI strict mode, a
 * llama.cpp grammar) pass on the first round; the loop is what makes the
 * endpoints that only promise JSON safe to use.
 */

export const defaultRepairRounds = 2;

// Draft 2020-12 is what OpenAI's json_schema format speaks; strict off so its extra keywords pass.
const ajv = new Ajv2020({ strict: false, allErrors: true });
const compiled = new WeakMap<JsonSchemaObject, ValidateFunction>();

function validatorFor(schema: JsonSchemaObject): ValidateFunction {
  let validate = compiled.get(schema);
  if (validate === undefined) {
    validate = ajv.compile(schema as object);
    compiled.set(schema, validate);
  }
  return validate;
}

export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: readonly string[] };

/** Parses an answer as JSON (a ```json fence around it is tolerated: small models add one) and validates it. */
export function checkAnswer<T>(text: string, schema: JsonSchemaObject): Checked<T> {
  const fenced = /^\s*```(?:json)?\s*\n?([\s\S]*?)\n?```\s*$/.exec(text);
  const body = (fenced ? fenced[1]! : text).trim();
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (cause) {
    return { ok: false, errors: [`the answer is not JSON (${cause instanceof Error ? cause.message : String(cause)})`] };
  }
  const validate = validatorFor(schema);
  if (validate(value)) return { ok: true, value: value as T };
  return { ok: false, errors: (validate.errors ?? []).map(describeError) };
}

function describeError(error: ErrorObject): string {
  const where = error.instancePath === "" ? "the answer" : error.instancePath;
  const extra = error.keyword === "additionalProperties" ? ` (${String((error.params as { additionalProperty?: unknown }).additionalProperty)})` : "";
  return `${where} ${error.message ?? error.keyword}${extra}`;
}

/** What the model is told when its answer did not validate. */
export function repairMessage(schemaName: string, errors: readonly string[]): string {
  return [
    `Your answer does not match the JSON schema "${schemaName}":`,
    ...errors.slice(0, 20).map((e) => `- ${e}`),
    "Answer again with only the corrected JSON object, nothing else.",
  ].join("\n");
}

/**
 * Runs `ask` until its answer validates or `repairRounds` repairs are spent;
 * usage and calls are summed over every round.
 */
export async function completeWithRepair<T>(
  request: StructuredRequest,
  repairRounds: number,
  fallbackModel: string,
  ask: (messages: readonly ChatMessage[]) => Promise<ChatAnswer>,
): Promise<StructuredAnswer<T>> {
  let messages: readonly ChatMessage[] = request.messages;
  let usage = noUsage;
  let calls = 0;
  let model = fallbackModel;
  for (let round = 0; ; round++) {
    const answer = await ask(messages);
    usage = addUsage(usage, answer.usage);
    calls += answer.calls;
    model = answer.model || model;
    const checked = checkAnswer<T>(answer.text, request.schema);
    if (checked.ok) return { value: checked.value, model, usage, calls, repaired: round > 0 };
    if (round >= repairRounds) {
      throw new ChatModelAnswerInvalid({ model, schemaName: request.schemaName, errors: checked.errors, lastAnswer: answer.text, repairRounds, usage, calls });
    }
    messages = [...messages, { role: "assistant", content: answer.text }, { role: "user", content: repairMessage(request.schemaName, checked.errors) }];
  }
}
