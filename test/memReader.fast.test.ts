import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AddMessagesRequest, ConversationMessage } from "../src/memReader/conversationMessage.js";
import type { ReadingReport } from "../src/memReader/memReaderService.js";
import type { ReaderTurn } from "../src/memReader/readerTurn.js";
import { turnWindows } from "../src/memReader/turnWindows.js";
import type { MemLedger } from "../src/app/memLedger.js";
import { failureOf, tempLedger } from "./support/tempLedger.js";

const turn = (i: number, sessionId: string, role: ReaderTurn["role"] = "user"): ReaderTurn => ({
  rawMemoryId: `raw-${i}`,
  messageId: `m${i}`,
  role,
  speaker: i % 2 === 0 ? "Caroline" : "Melanie",
  at: `2023-05-08T13:${String(10 + i).padStart(2, "0")}:00Z`,
  sessionId,
  text: `turn ${i}`,
  images: [],
});

describe("fast mode windows (pure)", () => {
  it("keeps speakers and times in the text, dates the window by its first turn and cites each turn", () => {
    const windows = turnWindows([turn(0, "s1"), turn(1, "s1"), turn(2, "s1")], { size: 2, overlap: 1 });
    expect(windows.map((w) => w.text)).toEqual(["[2023-05-08 13:10] Caroline: turn 0\n[2023-05-08 13:11] Melanie: turn 1", "[2023-05-08 13:11] Melanie: turn 1\n[2023-05-08 13:12] Caroline: turn 2"]);
    expect(windows[1]!.eventTime).toBe("2023-05-08T13:11:00Z");
    expect(windows[1]!.sources).toEqual([
      { kind: "message", ref: "m1", at: "2023-05-08T13:11:00Z" },
      { kind: "message", ref: "m2", at: "2023-05-08T13:12:00Z" },
    ]);
  });

  it("leaves system turns out and refuses an overlap as large as the window", () => {
    expect(turnWindows([turn(0, "s", "system"), turn(1, "s")], { size: 2, overlap: 0 }).map((w) => w.sources.map((s) => s.ref))).toEqual([["m1"]]);
    expect(() => turnWindows([turn(0, "s")], { size: 2, overlap: 2 })).toThrow(/overlap/);
  });

  it("is deterministic, never crosses a session, covers every turn, and no window is a tail inside the previous one", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom("a", "b", "c"), { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 6 }), fc.nat(5), (sessions, size, rawOverlap) => {
        const overlap = rawOverlap % size;
        const turns = sessions.map((s, i) => turn(i, s));
        const windows = turnWindows(turns, { size, overlap });
        expect(turnWindows(turns, { size, overlap })).toEqual(windows);
        for (const w of windows) {
          expect(new Set(w.turns.map((t) => t.sessionId)).size).toBe(1);
          expect(w.turns.length).toBeLessThanOrEqual(size);
          // consecutive turns of the input, in order
          const idx = w.turns.map((t) => turns.indexOf(t));
          idx.forEach((v, k) => k > 0 && expect(v).toBe(idx[k - 1]! + 1));
          expect(w.sources.map((s) => s.ref)).toEqual(w.turns.map((t) => t.messageId));
        }
        expect(new Set(windows.flatMap((w) => w.turns))).toEqual(new Set(turns));
        for (let k = 1; k < windows.length; k++) {
          const prev = windows[k - 1]!.turns;
          const cur = windows[k]!.turns;
          if (prev[0]!.sessionId === cur[0]!.sessionId) expect(cur.every((t) => prev.includes(t))).toBe(false);
        }
      }),
    );
  });
});

const conversation: ConversationMessage[] = [
  { role: "user", speaker: "Caroline", content: "I went to the LGBTQ support group yesterday.", at: "2023-05-08T13:56:00Z", messageId: "c1" },
  { role: "assistant", speaker: "Melanie", content: "That sounds empowering! How was it?", at: "2023-05-08T13:57:00Z", messageId: "c2" },
  { role: "user", speaker: "Caroline", content: "Really moving. The transgender stories were inspiring.", at: "2023-05-08T13:58:00Z", messageId: "c3" },
  {
    role: "user",
    speaker: "Caroline",
    parts: [{ type: "text", text: "Here is my painting." }, { type: "image", url: "https://example.org/sunset.png", caption: "a sunset over a lake" }],
    at: "2023-05-08T13:59:00Z",
    messageId: "c4",
  },
  {
    role: "tool",
    speaker: "agent",
    toolCall: { tool: "get_weather", arguments: { city: "Lyon" }, result: { tempC: 21, sky: "clear" }, outcome: "success" },
    at: "2023-05-08T14:00:00Z",
    messageId: "c5",
  },
  { role: "user", speaker: "Caroline", content: "Next session: what about you?", at: "2023-05-09T09:00:00Z", messageId: "d1", sessionId: "s2" },
];

describe("MemReader fast mode through the ledger", () => {
  let ledger: MemLedger;
  let dispose: () => Promise<void>;
  let rawMemoryIds: readonly string[];
  let report: ReadingReport;

  beforeAll(async () => {
    ({ ledger, dispose } = await tempLedger({ memReader: { window: { size: 2, overlap: 1 } } }));
    await ledger.cubes.create({ cubeId: "chat", name: "chat", owner: { kind: "user", id: "caroline" } });
    const request: AddMessagesRequest = { messages: conversation, userId: "caroline", sessionId: "s1" };
    const result = await ledger.memReader.addMessages("chat", request);
    if (!result.async) throw new Error("async by default");
    rawMemoryIds = result.rawMemoryIds;
    const waited = await ledger.jobs.wait(result.job.jobId, 20_000);
    expect(waited.job.status).toBe("done");
    report = waited.job.result as unknown as ReadingReport;
  }, 30_000);
  afterAll(() => dispose());

  it("stores every turn first as an activated raw_source unit with speaker, time, session and message id", async () => {
    expect(rawMemoryIds).toHaveLength(conversation.length);
    const first = await ledger.memories.get(rawMemoryIds[0]!);
    expect(first.status).toBe("activated");
    expect(first.attributes.memoryType).toBe("raw_source");
    expect(first.attributes.eventTime).toBe("2023-05-08T13:56:00Z");
    expect(first.content).toMatchObject({ text: conversation[0]!.content, sessionId: "s1", userId: "caroline", metadata: { speaker: "Caroline", messageId: "c1", role: "user" } });
    expect((await ledger.memories.get(rawMemoryIds[5]!)).content?.sessionId).toBe("s2");
  });

  it("makes windows that never cross a session, each citing its exact turns, and reports counts", async () => {
    // s1: 5 turns, size 2 overlap 1 -> 4 windows; s2: 1 turn -> 1 window
    expect(report).toMatchObject({ mode: "fast", turns: 6, windows: 5, tools: 1, images: 1 });
    const units = await Promise.all(report.memoryIds.map((id) => ledger.memories.get(id)));
    const windows = units.filter((u) => u.content?.metadata.reader === "fast");
    expect(windows.map((w) => w.content!.sources.map((s) => s.ref))).toEqual([["c1", "c2"], ["c2", "c3"], ["c3", "c4"], ["c4", "c5"], ["d1"]]);
    expect(windows[0]!.content!.text).toBe("[2023-05-08 13:56] Caroline: I went to the LGBTQ support group yesterday.\n[2023-05-08 13:57] Melanie: That sounds empowering! How was it?");
    expect(windows[4]!.content!.sessionId).toBe("s2");
    expect(windows[4]!.attributes.eventTime).toBe("2023-05-09T09:00:00Z");
  });

  it("records the reader on each unit's events (component and job, no model)", async () => {
    const jobId = (await ledger.jobs.list({ kind: "memreader.extract" }))[0]!.jobId;
    expect((await ledger.memories.history(report.memoryIds[0]!)).map((entry) => entry.automation)).toEqual([
      { component: "memreader.fast", jobId },
      { component: "memreader.fast", jobId },
    ]);
  });

  it("makes the windows searchable", async () => {
    const found = await ledger.search({ query: "transgender stories inspiring", cubeIds: ["chat"], mode: "bm25", filters: { tags: ["memreader"] } });
    expect(found.results[0]?.memory.content?.sources.map((s) => s.ref)).toContain("c3");
  });

  it("keeps a tool call as a tool unit with its payload, retrievable by tool name (tag or metadata)", async () => {
    const byTag = await ledger.search({ query: "weather Lyon", cubeIds: ["chat"], mode: "bm25", filters: { tags: ["tool:get_weather"], memoryTypes: ["tool"] } });
    expect(byTag.results).toHaveLength(1);
    const unit = byTag.results[0]!.memory;
    expect(unit.content?.metadata).toMatchObject({ tool: "get_weather", toolOutcome: "success", toolArguments: '{"city":"Lyon"}', toolResult: '{"tempC":21,"sky":"clear"}', messageId: "c5" });
    const byMetadata = await ledger.search({ query: "get_weather", cubeIds: ["chat"], mode: "bm25", filters: { metadata: { tool: "get_weather" }, memoryTypes: ["tool"] } });
    expect(byMetadata.results.map((r) => r.memory.memoryId)).toEqual([unit.memoryId]);
    const otherTool = await ledger.search({ query: "weather Lyon", cubeIds: ["chat"], mode: "bm25", filters: { tags: ["tool:send_email"] } });
    expect(otherTool.results).toHaveLength(0);
  });

  it("stores an image with its reference and caption on the raw turn and as a unit of its own", async () => {
    const raw = await ledger.memories.get(rawMemoryIds[3]!);
    expect(raw.content?.metadata).toMatchObject({ imageRefs: "https://example.org/sunset.png" });
    expect(raw.content?.text).toContain("[image: a sunset over a lake]");
    const images = await ledger.search({ query: "sunset lake", cubeIds: ["chat"], mode: "bm25", filters: { tags: ["image"], memoryTypes: ["long_term"] } });
    expect(images.results[0]?.memory.content).toMatchObject({ text: "a sunset over a lake", metadata: { imageRef: "https://example.org/sunset.png", imageCaption: "a sunset over a lake" }, sources: [{ kind: "message", ref: "c4" }] });
  });

  it("answers sync with the extracted units when async is false, and refuses an empty turn naming it", async () => {
    const result = await ledger.memReader.addMessages("chat", { messages: [{ role: "user", speaker: "Ana", content: "I love hiking in the Alps." }], async: false });
    if (result.async) throw new Error("sync asked");
    expect(result.memories.map((m) => m.content?.text)).toEqual(["Ana: I love hiking in the Alps."]);
    expect(result.memories[0]!.content?.sources[0]?.ref).toBe(result.rawMemoryIds[0]);
    const refused = await failureOf(ledger.memReader.addMessages("chat", { messages: [{ role: "user", content: " " }] }));
    expect(refused).toMatchObject({ _tag: "InvalidRequest", field: "messages[0]" });
  });
});
