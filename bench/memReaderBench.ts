/**
 * `npx vite-node bench/memReaderBench.ts [-- --data ../shared/bench/locomo-dev.json --sessions 128 --searchable 20]`:
 * MemReader's fast mode on the LoCoMo dev conversations (2,760 turns in 128 sessions), no embedder
 * (BM25 + graph), embedded log with full durability, read audit off.
 *
 * 1. Throughput and latency: each session posted as one `messages` call with `async: false` (raw
 *    turns stored, windows made and stored before the answer). Baseline in the same run: the same
 *    turns as one sync `memories.add` per session (a unit per turn, no windows).
 * 2. Time to searchable: `--searchable` sessions posted async (the default); the clock runs from the
 *    call until a BM25 search for the session's last turn returns a window citing that turn. Baseline:
 *    the same turns as an async `memories.add`, until the turn's unit is found.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { openMemLedger, type MemLedger } from "../src/app/memLedger.js";
import type { ConversationMessage } from "../src/memReader/conversationMessage.js";
import { loadLocomo, type LocomoTurn } from "./locomoDataset.js";
import { removeDir, tempDir } from "./payload.js";
import { fmtMs, formatTable, nowMs, summarize, writeResults } from "./stats.js";

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: { data: { type: "string", default: "../shared/bench/locomo-dev.json" }, sessions: { type: "string", default: "128" }, searchable: { type: "string", default: "20" } },
});
const dataset = loadLocomo(resolve(args.data!));

/** "D3:5" -> session "D3" of its conversation. */
const sessionOf = (turn: LocomoTurn) => `${turn.conversationId}:${turn.diaId.split(":")[0]}`;
const sessions = new Map<string, LocomoTurn[]>();
for (const turn of dataset.turns) sessions.set(sessionOf(turn), [...(sessions.get(sessionOf(turn)) ?? []), turn]);
const sessionList = [...sessions.entries()].slice(0, Number(args.sessions));
const turnCount = sessionList.reduce((n, [, turns]) => n + turns.length, 0);

const messagesOf = (turns: readonly LocomoTurn[], sessionId: string): ConversationMessage[] =>
  turns.map((t) => ({ role: "user", speaker: t.speaker, content: t.text, messageId: `${t.conversationId}:${t.diaId}`, sessionId, ...(t.sessionTime ? { at: t.sessionTime } : {}) }));
const plainOf = (turns: readonly LocomoTurn[]) =>
  turns.map((t) => ({ text: `${t.speaker}: ${t.text}`, sources: [{ kind: "message" as const, ref: `${t.conversationId}:${t.diaId}` }], ...(t.sessionTime ? { eventTime: t.sessionTime } : {}) }));

async function withLedger<T>(label: string, work: (ledger: MemLedger) => Promise<T>): Promise<T> {
  const dataDir = tempDir(`memledger-memreader-${label}-`);
  const ledger = await openMemLedger({ dataDir, readAudit: false, syncAdd: { maxMemories: 1_000, maxTextBytes: 2 ** 24 } });
  try {
    await ledger.cubes.create({ cubeId: "locomo", name: "LoCoMo", owner: { kind: "project", id: "bench" } });
    return await work(ledger);
  } finally {
    await ledger.close();
    removeDir(dataDir);
  }
}

interface Throughput {
  readonly turnsPerSecond: number;
  readonly perCall: ReturnType<typeof summarize>;
  readonly units: number;
}

async function throughput(label: string, post: (ledger: MemLedger, sessionId: string, turns: readonly LocomoTurn[]) => Promise<number>): Promise<Throughput> {
  return withLedger(label, async (ledger) => {
    const durations: number[] = [];
    let units = 0;
    const start = nowMs();
    for (const [sessionId, turns] of sessionList) {
      const t0 = nowMs();
      units += await post(ledger, sessionId, turns);
      durations.push(nowMs() - t0);
    }
    console.error(`${label}: ${turnCount} turns in ${((nowMs() - start) / 1000).toFixed(1)} s`);
    return { turnsPerSecond: turnCount / ((nowMs() - start) / 1000), perCall: summarize(durations), units };
  });
}

/** Polls a BM25 search until `found` holds for a hit; ms from `t0`. */
async function untilSearchable(ledger: MemLedger, query: string, found: (hit: { memoryId: string; refs: readonly string[]; tags: readonly string[] }) => boolean, t0: number): Promise<number> {
  for (;;) {
    if (nowMs() - t0 > 60_000) throw new Error(`not searchable after 60 s: ${query}`);
    const answer = await ledger.search({ query, cubeIds: ["locomo"], mode: "bm25", topK: 20 });
    if (answer.results.some((r) => found({ memoryId: r.memory.memoryId, refs: r.memory.content?.sources.map((s) => s.ref) ?? [], tags: r.memory.content?.tags ?? [] }))) return nowMs() - t0;
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function timeToSearchable(label: string, post: (ledger: MemLedger, sessionId: string, turns: readonly LocomoTurn[]) => Promise<{ memoryIds: readonly string[] }>, isTarget: (hit: { memoryId: string; refs: readonly string[]; tags: readonly string[] }, lastRef: string, posted: readonly string[]) => boolean) {
  const sample = sessionList.filter((_, i) => i % Math.max(1, Math.floor(sessionList.length / Number(args.searchable))) === 0).slice(0, Number(args.searchable));
  return withLedger(label, async (ledger) => {
    const times: number[] = [];
    for (const [sessionId, turns] of sample) {
      const last = turns.at(-1)!;
      const t0 = nowMs();
      const { memoryIds } = await post(ledger, sessionId, turns);
      times.push(await untilSearchable(ledger, last.text, (hit) => isTarget(hit, `${last.conversationId}:${last.diaId}`, memoryIds), t0));
    }
    return summarize(times);
  });
}

const reader = await throughput("fast", async (ledger, sessionId, turns) => {
  const result = await ledger.memReader.addMessages("locomo", { messages: messagesOf(turns, sessionId), async: false });
  if (result.async) throw new Error("sync asked");
  return result.rawMemoryIds.length + result.memories.length;
});
const baseline = await throughput("plain", async (ledger, _sessionId, turns) => {
  const result = await ledger.memories.add("locomo", { memories: plainOf(turns), mode: "sync" });
  return result.mode === "sync" ? result.memories.length : 0;
});
const readerSearchable = await timeToSearchable(
  "fast-async",
  async (ledger, sessionId, turns) => {
    const result = await ledger.memReader.addMessages("locomo", { messages: messagesOf(turns, sessionId) });
    return { memoryIds: result.rawMemoryIds };
  },
  (hit, lastRef) => hit.tags.includes("memreader") && hit.refs.includes(lastRef),
);
const baselineSearchable = await timeToSearchable(
  "plain-async",
  async (ledger, _sessionId, turns) => {
    const result = await ledger.memories.add("locomo", { memories: plainOf(turns), mode: "async" });
    return { memoryIds: result.mode === "async" ? result.memoryIds : [] };
  },
  (hit, _lastRef, posted) => hit.memoryId === posted.at(-1),
);

const table = formatTable({
  title: "MemReader fast mode on LoCoMo dev",
  headers: ["path", "turns/s", "call p50", "call p99", "units written", "call → searchable p50", "p99"],
  rows: [
    ["`memReader.addMessages` fast (raw turns + windows)", reader.turnsPerSecond.toFixed(0), fmtMs(reader.perCall.p50), fmtMs(reader.perCall.p99), String(reader.units), fmtMs(readerSearchable.p50), fmtMs(readerSearchable.p99)],
    ["baseline `memories.add` (a unit per turn)", baseline.turnsPerSecond.toFixed(0), fmtMs(baseline.perCall.p50), fmtMs(baseline.perCall.p99), String(baseline.units), fmtMs(baselineSearchable.p50), fmtMs(baselineSearchable.p99)],
  ],
});
const markdown = `LoCoMo dev: ${turnCount} turns in ${sessionList.length} sessions, one call per session (sync for throughput; async for time to searchable, ${readerSearchable.n} sessions)\n\n${table}\n`;
console.log(markdown);
console.log(`written to ${writeResults("memreader", markdown)}`);
