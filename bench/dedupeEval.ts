/**
 * Precision and recall of the merge decisions on a generated set with known
 * duplicates, paraphrases, extensions and contradictions
 * (test/fixtures/dedupe/generated.jsonl, from bench/dedupeSet.ts, seeded).
 *
 *   npx vite-node bench/dedupeEval.ts                     # rules only (no model)
 *   npx vite-node bench/dedupeEval.ts --model-url http://localhost:11434/v1 --model qwen2.5:7b-instruct
 *   npx vite-node bench/dedupeEval.ts --local-model [--per-kind 10]   # SmolLM2-135M in process (scripts/fetch-chat-model.sh)
 *   npx vite-node bench/dedupeEval.ts --generate [--seed 14] [--cases 630]   # rewrite the set
 *   add --json for machine-readable figures, --misses to list the wrong ones
 *
 * Each case is one existing unit and one incoming unit; the rules see the
 * existing one as the only candidate (what the neighbour search returned),
 * and with a model, what no rule decides goes to the model with the prompt
 * the job uses (prompts/memory.decide.md). NOOP and UPDATE are scored per
 * label; "wrongly merged" counts units a NOOP/UPDATE/MERGE would have
 * removed though they state a different fact (the costly error).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { decideByRule } from "../domain/memoryDecisions/decisionRules.js";
import { join } from "node:path";
import { openAiChatModel } from "../src/chatModel/openAiChatModel.js";
import { openLlamaCppChatModel } from "../src/chatModel/llamaCppChatModel.js";
import type { ChatModelPort } from "../src/chatModel/chatModelPort.js";
import { askModel, checkAnswer } from "../src/memoryDecisions/modelDecision.js";
import { dedupeSetPath, generateDedupeSet, type DedupeCase } from "./dedupeSet.js";

const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

if (args.includes("--generate")) {
  const set = generateDedupeSet(Number(option("--seed") ?? 14), Number(option("--cases") ?? 630));
  writeFileSync(dedupeSetPath, set.map((c) => JSON.stringify(c)).join("\n") + "\n");
  console.log(`${dedupeSetPath}: ${set.length} cases`);
  process.exit(0);
}

type Predicted = "NOOP" | "UPDATE" | "MERGE" | "ADD";
interface Outcome {
  readonly c: DedupeCase;
  readonly predicted: Predicted;
  readonly contradiction: boolean;
  readonly by: string;
}

const all: DedupeCase[] = readFileSync(dedupeSetPath, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line) as DedupeCase);
// --per-kind n: the first n cases of each kind (a slow local model need not see all 630).
const perKind = option("--per-kind") !== undefined ? Number(option("--per-kind")) : Infinity;
const cases = all.filter((c) => all.filter((o) => o.kind === c.kind && o.id < c.id).length < perKind);
const modelUrl = option("--model-url") ?? process.env.MEMLEDGER_CHAT_MODEL_BASE_URL;
const local = args.includes("--local-model")
  ? await openLlamaCppChatModel({ modelPath: join(import.meta.dirname, "..", ".cache", "models", "SmolLM2-135M-Instruct", "SmolLM2-135M-Instruct.Q4_1.gguf"), contextSize: 2048, repairRounds: 1 })
  : undefined;
const model: ChatModelPort | undefined =
  local ?? (modelUrl ? openAiChatModel({ baseURL: modelUrl, model: option("--model") ?? process.env.MEMLEDGER_CHAT_MODEL ?? "gpt-4o-mini", ...(process.env.MEMLEDGER_CHAT_MODEL_API_KEY ? { apiKey: process.env.MEMLEDGER_CHAT_MODEL_API_KEY } : {}) }) : undefined);

const started = performance.now();
const outcomes: Outcome[] = [];
for (const c of cases) {
  const candidate = { memoryId: "existing", text: c.existing, score: 1 };
  const rule = decideByRule(c.incoming, [candidate]);
  if (rule !== undefined) outcomes.push({ c, predicted: rule.decision, contradiction: false, by: rule.rule });
  else if (model === undefined) outcomes.push({ c, predicted: "ADD", contradiction: false, by: "no-model" });
  else {
    const asked = await askModel(model, c.incoming, [candidate], new AbortController().signal).catch((error: unknown) => error as Error);
    const checked = asked instanceof Error ? ({ ok: false, why: asked.message } as const) : checkAnswer(asked.answer, [candidate]);
    outcomes.push(checked.ok ? { c, predicted: checked.answer.decision, contradiction: checked.answer.contradicts.includes("existing"), by: "model" } : { c, predicted: "ADD", contradiction: false, by: "model-unusable" });
  }
}
const seconds = (performance.now() - started) / 1000;
await local?.close();

const removes = (p: Predicted) => p !== "ADD";
const score = (label: "NOOP" | "UPDATE") => {
  const predicted = outcomes.filter((o) => o.predicted === label).length;
  const gold = outcomes.filter((o) => o.c.expected === label).length;
  const right = outcomes.filter((o) => o.predicted === label && o.c.expected === label).length;
  return { label, gold, predicted, right, precision: predicted ? right / predicted : 1, recall: gold ? right / gold : 1 };
};
// A duplicate-or-update caught at all (NOOP, UPDATE or MERGE for a gold NOOP/UPDATE), and units removed though they state another fact.
const goldSame = outcomes.filter((o) => o.c.expected !== "ADD");
const caught = goldSame.filter((o) => removes(o.predicted)).length;
const removed = outcomes.filter((o) => removes(o.predicted));
const wronglyMerged = removed.filter((o) => o.c.expected === "ADD");
const goldContradictions = outcomes.filter((o) => o.c.contradiction);
const contradictionsFound = outcomes.filter((o) => o.contradiction);
const byKind = Object.fromEntries(
  [...new Set(cases.map((c) => c.kind))].map((kind) => {
    const of = outcomes.filter((o) => o.c.kind === kind);
    return [kind, { cases: of.length, correct: of.filter((o) => (o.predicted === "MERGE" ? o.c.expected !== "ADD" : o.predicted === o.c.expected)).length }];
  }),
);
const figures = {
  cases: cases.length,
  decider: model ? `rules + model ${model.model}` : "rules only",
  perLabel: [score("NOOP"), score("UPDATE")],
  duplicates: { gold: goldSame.length, caught, recall: goldSame.length ? caught / goldSame.length : 1, precision: removed.length ? (removed.length - wronglyMerged.length) / removed.length : 1 },
  wronglyMerged: wronglyMerged.length,
  modelCalls: outcomes.filter((o) => o.by.startsWith("model")).length,
  modelAnswersUnusable: outcomes.filter((o) => o.by === "model-unusable").length,
  contradictions: { gold: goldContradictions.length, found: contradictionsFound.length, right: contradictionsFound.filter((o) => o.c.contradiction).length },
  byKind,
  seconds: Math.round(seconds * 1000) / 1000,
};

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
if (args.includes("--json")) console.log(JSON.stringify(figures, null, 2));
else {
  console.log(`${figures.cases} cases, ${figures.decider}, ${figures.seconds} s`);
  for (const s of figures.perLabel) console.log(`  ${s.label.padEnd(6)} precision ${pct(s.precision)} (${s.right}/${s.predicted})  recall ${pct(s.recall)} (${s.right}/${s.gold})`);
  console.log(`  duplicates or updates removed: precision ${pct(figures.duplicates.precision)}, recall ${pct(figures.duplicates.recall)} (${caught}/${goldSame.length}); wrongly merged ${figures.wronglyMerged}`);
  if (model) console.log(`  model calls ${figures.modelCalls}, answers not usable ${figures.modelAnswersUnusable}`);
  console.log(`  contradictions flagged ${figures.contradictions.right}/${figures.contradictions.gold} (${figures.contradictions.found} flagged in all)`);
  for (const [kind, k] of Object.entries(byKind)) console.log(`  ${kind.padEnd(22)} ${k.correct}/${k.cases}`);
}
if (args.includes("--misses")) for (const o of outcomes.filter((x) => x.predicted !== x.c.expected)) console.log(`  miss ${o.c.kind}: ${o.predicted} (${o.by}) expected ${o.c.expected}: "${o.c.existing}" / "${o.c.incoming}"`);
