import { afterEach, describe, expect, it } from "vitest";
import type { MemLedger } from "../src/app/memLedger.js";
import type { ContextualIndexSettings } from "../src/contextualIndex/contextualIndexSettings.js";
import { filesContaining, textNeedle, tracesOf } from "./support/dataDirectoryScan.js";
import { tempLedger } from "./support/tempLedger.js";

/**
 * End to end through the root ledger (no embedder: BM25 + graph): a turn
 * found only through the turn before it, a session boundary kept, and an
 * erased neighbour's words gone from every file, the other turn's entry included.
 */
const disposers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const dispose of disposers.splice(0)) await dispose();
});

async function ledgerWith(contextualIndex?: Partial<ContextualIndexSettings>): Promise<{ ledger: MemLedger; dataDir: string }> {
  const temp = await tempLedger({ worker: false, ...(contextualIndex ? { contextualIndex } : {}) });
  disposers.push(temp.dispose);
  return temp;
}

/** Two sessions of one chat; the answer says nothing of what was asked. */
async function writeChat(ledger: MemLedger): Promise<{ question: string; answer: string; elsewhere: string }> {
  await ledger.cubes.create({ cubeId: "chat", name: "chat", owner: { kind: "project", id: "p" } });
  const add = async (text: string, sessionId: string) => (await ledger.memories.create({ cubeId: "chat", text, sessionId })).memoryId;
  const question = await add("Mel: did you ever find that quetzalcoatlus fossil exhibit?", "s1");
  const elsewhere = await add("Mel: the ornithopter kit arrived today", "s2");
  const answer = await add("Jo: yes, last Sunday, the kids loved it", "s1");
  await add("Jo: how is the garden doing?", "s1");
  expect(await ledger.readModels.catchUp(10_000)).toBe(true);
  return { question, answer, elsewhere };
}

const found = async (ledger: MemLedger, query: string) =>
  (await ledger.search({ query, cubeIds: ["chat"], mode: "bm25", topK: 10 })).results.map((r) => r.memory.memoryId);

describe("contextual indexing, end to end", () => {
  it("finds a turn through the turn before it only when contextual indexing is on", async () => {
    const off = await ledgerWith({ previousTurns: 0, followingTurns: 0 });
    const chatOff = await writeChat(off.ledger);
    expect(await found(off.ledger, "fossil exhibit")).toEqual([chatOff.question]);

    const on = await ledgerWith({ previousTurns: 1 });
    const chat = await writeChat(on.ledger);
    const hits = await found(on.ledger, "fossil exhibit");
    // The question first (its own words weigh more), then the answer that only makes sense after it.
    expect(hits).toEqual([chat.question, chat.answer]);
    // The other session's turn, written between them, lends its words to neither.
    expect(await found(on.ledger, "ornithopter")).toEqual([chat.elsewhere]);
    // Hits keep their own text: the index representation changed, not the unit.
    const answer = (await on.ledger.search({ query: "fossil exhibit", cubeIds: ["chat"], mode: "bm25" })).results[1]!;
    expect(answer.memory.content?.text).toBe("Jo: yes, last Sunday, the kids loved it");
  });

  it("erasing a turn removes its words from its neighbours' entries and from every file", async () => {
    const { ledger, dataDir } = await ledgerWith({ previousTurns: 1, followingTurns: 1 });
    const chat = await writeChat(ledger);
    // The scan sees the word while it is there (the full-text read model keeps session turns' words).
    expect(filesContaining(dataDir, Buffer.from("quetzalcoatlus")).length).toBeGreaterThan(0);
    await ledger.memories.erase(chat.question);
    expect(await ledger.readModels.catchUp(10_000)).toBe(true);
    expect(tracesOf(dataDir, [textNeedle("quetzalcoatlus"), textNeedle("fossil")])).toEqual([]);
    expect(await found(ledger, "fossil exhibit")).toEqual([]);
    // The answer is still found by its own words and by what its other neighbour says.
    expect(await found(ledger, "garden")).toContain(chat.answer);
  });
});
