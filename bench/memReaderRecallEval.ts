/**
 * LoCoMo evidence recall of what MemReader extracted, against the raw turns (docs/benchmarks.md, "MemReader").
 *
 *   MEMLEDGER_CHAT_MODEL_URL=… MEMLEDGER_CHAT_MODEL=… npx vite-node bench/memReaderRecallEval.ts \
 *     [-- --modes raw,fast,fine] [--conversations 2] [--data ../shared/bench/locomo-dev.json]
 *   npx vite-node bench/memReaderRecallEval.ts -- --modes raw,fast,fine --local-model .cache/models/SmolLM2-135M-Instruct/SmolLM2-135M-Instruct.Q4_1.gguf
 *
 * Each session of a conversation is posted to the conversation's cube as one `messages` call (sync),
 * with the turn id (D<session>:<turn>) as each message's id, so every unit MemReader makes cites the
 * turns it came from. Then, per question with evidence, a BM25 search (no embedder: the comparison is
 * about what is indexed, not the vector model) over one kind of unit:
 * - raw:  the stored turns themselves (memoryType raw_source), one turn per unit: the baseline,
 *         the same metric as bench/locomoEval.ts;
 * - fast: the windows of the fast mode (long_term), each citing up to `window` turns;
 * - fine: what the model extracted (long_term, preference, user), each citing its turns.
 * recall@k is the share of the question's evidence turns cited by the top k results. A window cites
 * several turns, so "turns cited" in the top k is printed beside it: a mode that cites more turns per
 * unit gets more recall for the same k, and the table says so rather than hiding it.
 * fine needs a chat model (MEMLEDGER_CHAT_MODEL_* or --local-model); without one it is left out and
 * the output says why. --conversations limits the run (a model call per chunk of a session is slow).
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { openMemLedger } from "../src/app/memLedger.js";
import type { ChatModelConfig } from "../src/chatModel/chatModelConfig.js";
import type { ChatModelPort } from "../src/chatModel/chatModelPort.js";
import { chatModelFromEnv } from "../src/config.js";
import type { MemoryType } from "../domain/memory/memoryContent.js";
import type { ConversationMessage, ReaderMode } from "../src/memReader/conversationMessage.js";
import { loadLocomo, type LocomoTurn } from "./locomoDataset.js";
import { removeDir, tempDir } from "./payload.js";
import { nowMs } from "./stats.js";

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    data: { type: "string", default: "../shared/bench/locomo-dev.json" },
    modes: { type: "string", default: "raw,fast,fine" },
    conversations: { type: "string" },
    "local-model": { type: "string" },
  },
});

type EvalMode = "raw" | ReaderMode;
const ks = [5, 10, 20] as const;
const dataset = loadLocomo(resolve(args.data!));
const conversations = [...new Set(dataset.turns.map((t) => t.conversationId))].slice(0, args.conversations ? Number(args.conversations) : undefined);

async function chatModel(): Promise<{ model?: ChatModelConfig | ChatModelPort; close?: () => Promise<void>; why?: string }> {
  if (args["local-model"]) {
    const { openLlamaCppChatModel } = await import("../src/chatModel/llamaCppChatModel.js");
    const local = await openLlamaCppChatModel({ modelPath: resolve(args["local-model"]) });
    return { model: local, close: () => local.close() };
  }
  const configured = chatModelFromEnv(process.env);
  return configured ? { model: configured } : { why: "no chat model: set MEMLEDGER_CHAT_MODEL_URL and MEMLEDGER_CHAT_MODEL, or pass --local-model <gguf>" };
}

const sessionOf = (turn: LocomoTurn) => turn.diaId.split(":")[0]!;
const typesOf: Record<EvalMode, readonly MemoryType[]> = { raw: ["raw_source"], fast: ["long_term"], fine: ["long_term", "preference", "user"] };

async function evaluate(mode: EvalMode, model: ChatModelConfig | ChatModelPort | undefined) {
  const dataDir = tempDir(`memledger-memreader-recall-${mode}-`);
  const ledger = await openMemLedger({ dataDir, readAudit: false, worker: false, ...(model ? { chatModel: model } : {}) });
  const rows: { category: number; recall: number[]; cited: number[] }[] = [];
  let units = 0;
  try {
    const started = nowMs();
    for (const conversationId of conversations) {
      await ledger.cubes.create({ cubeId: conversationId, name: conversationId, owner: { kind: "project", id: "locomo" } });
      // Merge decisions would fold near-duplicate facts together; recall is measured on what the reader made.
      await ledger.decisions.setMode(conversationId, "off");
      const turns = dataset.turns.filter((t) => t.conversationId === conversationId);
      const sessions = new Map<string, LocomoTurn[]>();
      for (const turn of turns) sessions.set(sessionOf(turn), [...(sessions.get(sessionOf(turn)) ?? []), turn]);
      for (const [session, sessionTurns] of sessions) {
        const messages: ConversationMessage[] = sessionTurns.map((t) => ({ role: "user", speaker: t.speaker, content: t.text, messageId: t.diaId, ...(t.sessionTime ? { at: t.sessionTime } : {}) }));
        await ledger.memReader.addMessages(conversationId, { messages, sessionId: session, mode: mode === "raw" ? "fast" : mode, async: false });
      }
    }
    await ledger.readModels.catchUp(600_000);
    const ingestSeconds = (nowMs() - started) / 1000;
    for (const question of dataset.questions.filter((q) => conversations.includes(q.conversationId))) {
      const response = await ledger.search({ query: question.question, cubeIds: [question.conversationId], topK: 20, mode: "bm25", filters: { memoryTypes: [...typesOf[mode]] } });
      const citedBy = response.results.map((r) => (r.memory.content?.sources ?? []).filter((s) => s.kind === "message").map((s) => s.ref));
      rows.push({
        category: question.category,
        recall: ks.map((k) => {
          const cited = new Set(citedBy.slice(0, k).flat());
          return question.evidence.filter((e) => cited.has(e)).length / question.evidence.length;
        }),
        cited: ks.map((k) => new Set(citedBy.slice(0, k).flat()).size),
      });
    }
    for (const conversationId of conversations) {
      units += (await ledger.cubes.memories(conversationId, { statuses: ["activated"] })).filter((m) => typesOf[mode].includes(m.attributes.memoryType)).length;
    }
    return { mode, rows, ingestSeconds, units };
  } finally {
    await ledger.close();
    removeDir(dataDir);
  }
}

const mean = (xs: readonly number[]) => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
const requested = args.modes!.split(",") as EvalMode[];
const { model, close, why } = requested.includes("fine") ? await chatModel() : {};
const lines = [`LoCoMo dev, ${conversations.length} conversation(s), BM25 over each kind of unit; evidence recall of the cited turns`, ""];
lines.push("| units searched | units | questions (cat. 1–4) | R@5 | R@10 | R@20 | turns cited in top 5 / 10 / 20 | ingest (s) |", "|---|---|---|---|---|---|---|---|");
try {
  for (const mode of requested) {
    if (mode === "fine" && model === undefined) {
      lines.push(`| fine | — | — | — | — | — | — | — (${why}) |`);
      continue;
    }
    const result = await evaluate(mode, mode === "fine" ? model : undefined);
    const headline = result.rows.filter((r) => r.category !== 5);
    lines.push(
      `| ${mode === "raw" ? "raw turns (baseline)" : `${mode} mode`} | ${result.units} | ${headline.length} | ${ks.map((_, i) => mean(headline.map((r) => r.recall[i]!)).toFixed(3)).join(" | ")} | ${ks.map((_, i) => mean(headline.map((r) => r.cited[i]!)).toFixed(1)).join(" / ")} | ${result.ingestSeconds.toFixed(1)} |`,
    );
  }
} finally {
  await close?.();
}
console.log(lines.join("\n"));
