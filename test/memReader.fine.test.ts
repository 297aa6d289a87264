import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatModelPort, StructuredRequest } from "../src/chatModel/chatModelPort.js";
import { openAiChatModel } from "../src/chatModel/openAiChatModel.js";
import { checkExtraction, type ExtractionAnswer } from "../src/memReader/factExtraction.js";
import type { ConversationMessage } from "../src/memReader/conversationMessage.js";
import type { ReadingReport } from "../src/memReader/memReaderService.js";
import type { ReaderTurn } from "../src/memReader/readerTurn.js";
import type { MemLedger } from "../src/app/memLedger.js";
import { startChatCompletionsServer, type ChatCompletionsServer } from "./support/chatCompletionsServer.js";
import { failureOf, tempLedger } from "./support/tempLedger.js";

const messages: ConversationMessage[] = [
  { role: "user", speaker: "Caroline", content: "I went to the LGBTQ support group yesterday.", at: "2023-05-08T13:56:00Z", messageId: "c1" },
  { role: "assistant", speaker: "Melanie", content: "Nice! I always drink tea when I paint, by the way.", at: "2023-05-08T13:57:00Z", messageId: "c2" },
  { role: "user", speaker: "Caroline", content: "I'm a counsellor, by the way.", at: "2023-05-08T13:58:00Z", messageId: "c3" },
];

/** What a good model answers for `messages`: t1..t3 are the turns' labels in the prompt. */
const goodAnswer: ExtractionAnswer = {
  memories: [
    { kind: "event", text: "Caroline went to an LGBTQ support group on 2023-05-07.", date: "2023-05-07", turnIds: ["t1"] },
    { kind: "preference", text: "Melanie drinks tea when she paints.", date: null, turnIds: ["t2", "t42"] },
    { kind: "persona", text: "Caroline is a counsellor.", date: null, turnIds: ["c3"] },
    { kind: "fact", text: "Made up with no turn.", date: null, turnIds: ["t99"] },
  ],
};

/** An in-process port: answers with `answer(request)`, counts tokens. */
function fakeModel(answer: (request: StructuredRequest) => unknown): ChatModelPort & { asked: StructuredRequest[] } {
  const asked: StructuredRequest[] = [];
  return {
    model: "fake-model",
    asked,
    complete: async () => ({ text: "", model: "fake-model", usage: { promptTokens: 1, completionTokens: 1 }, calls: 1 }),
    completeStructured: async <T,>(request: StructuredRequest) => {
      // Only the reader is scripted; the merge decisions its facts trigger get no answer (their job fails, which is theirs to report).
      if (request.schemaName !== "memreader_extraction") throw new Error(`not scripted: ${request.schemaName}`);
      asked.push(request);
      const value = answer(request) as T;
      return { value, model: "fake-model-2024", usage: { promptTokens: 100, completionTokens: 20, costUsd: 0.001 }, calls: 1, repaired: false };
    },
    stream: () => {
      throw new Error("not used");
    },
  };
}

describe("fine extraction checks (pure)", () => {
  it("keeps only turns of the batch, reports unknown ids, unsourced memories and bad dates", () => {
    const turns = messages.map((m, i): ReaderTurn => ({ rawMemoryId: `r${i}`, messageId: m.messageId!, role: m.role, speaker: m.speaker!, at: m.at!, text: m.content!, images: [] }));
    const checked = checkExtraction({ memories: [...goodAnswer.memories, { kind: "event", text: "x", date: "someday", turnIds: ["t1"] }] }, turns);
    expect(checked.memories.map((m) => [m.kind, m.turns.map((t) => t.messageId), m.date])).toEqual([
      ["event", ["c1"], "2023-05-07"],
      ["preference", ["c2"], undefined],
      ["persona", ["c3"], undefined],
      ["event", ["c1"], undefined],
    ]);
    expect(checked.rejects).toEqual({ unknownTurnIds: ["t42", "t99"], unsourcedMemories: 1, invalidDates: ["someday"] });
  });
});

describe("MemReader fine mode", () => {
  let ledger: MemLedger;
  let dispose: () => Promise<void>;
  let mode: "good" | "failing" = "good";
  const model = fakeModel((request) => {
    if (mode === "failing") throw new Error("model endpoint exploded");
    // Second session's chunk: only its own turn (t1 of that chunk).
    return JSON.stringify(request.messages).includes("Next session") ? { memories: [{ kind: "fact", text: "Caroline has a new session.", date: null, turnIds: ["t1"] }] } : goodAnswer;
  });

  beforeAll(async () => {
    ({ ledger, dispose } = await tempLedger({ chatModel: model, jobBus: { kind: "sqlite", retryPolicy: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 }, pollIntervalMs: 20 } }));
    await ledger.cubes.create({ cubeId: "chat", name: "chat", owner: { kind: "user", id: "caroline" } });
  }, 30_000);
  afterAll(() => dispose());

  it("extracts facts, events (date resolved), preferences and persona, each sourced by its exact turns, with model, prompt and job on its events", async () => {
    const result = await ledger.memReader.addMessages("chat", { messages, userId: "caroline", sessionId: "s1", mode: "fine" });
    if (!result.async) throw new Error("async by default");
    const waited = await ledger.jobs.wait(result.job.jobId, 20_000);
    expect(waited.job.status).toBe("done");
    const report = waited.job.result as unknown as ReadingReport;
    expect(report).toMatchObject({ mode: "fine", turns: 3, facts: 3, windows: 0, rejects: { unknownTurnIds: ["t42", "t99"], unsourcedMemories: 1, invalidDates: [] } });
    expect(report.usage).toEqual({ model: "fake-model-2024", calls: 1, promptTokens: 100, completionTokens: 20, costUsd: 0.001 });
    const units = await Promise.all(report.memoryIds.map((id) => ledger.memories.get(id)));
    expect(units.map((u) => [u.attributes.memoryType, u.content?.sources.map((s) => s.ref), u.attributes.eventTime])).toEqual([
      ["long_term", ["c1"], "2023-05-07"],
      ["preference", ["c2"], "2023-05-08T13:57:00Z"],
      ["user", ["c3"], "2023-05-08T13:58:00Z"],
    ]);
    expect(units[0]!.content).toMatchObject({ userId: "caroline", sessionId: "s1", metadata: { kind: "event", resolvedDate: "2023-05-07" } });
    const history = await ledger.memories.history(units[0]!.memoryId);
    expect(history[0]!.automation).toEqual({ component: "memreader.fine", model: "fake-model-2024", prompt: "memreader.extract-facts@1", jobId: result.job.jobId });
    // The prompt shows each turn with its label, time and speaker, and asks for the schema.
    expect(JSON.stringify(model.asked[0]!.messages)).toContain("[t1] [2023-05-08 13:56] Caroline: I went to the LGBTQ support group yesterday.");
    expect(model.asked[0]!.schemaName).toBe("memreader_extraction");
    // The facts go to the merge decisions (src/memoryDecisions/) like any ingested unit.
    const decide = await ledger.jobs.list({ kind: "memory.decide" });
    expect(decide.map((j) => (j.payload as { memoryIds: string[] }).memoryIds)).toContainEqual(report.memoryIds);
  });

  it("refuses mode fine at once when no chat model is configured, storing nothing", async () => {
    const bare = await tempLedger();
    try {
      await bare.ledger.cubes.create({ cubeId: "c", name: "c", owner: { kind: "user", id: "u" } });
      const refused = await failureOf(bare.ledger.memReader.addMessages("c", { messages, mode: "fine" }));
      expect(refused._tag).toBe("ChatModelNotConfigured");
      expect(refused.message).toContain("MEMLEDGER_CHAT_MODEL_URL");
      expect(await bare.ledger.cubes.memories("c")).toEqual([]);
    } finally {
      await bare.dispose();
    }
  });

  it("loses nothing when extraction fails: the raw turns stay, the job dies with the error, and a retry reads them", async () => {
    mode = "failing";
    const result = await ledger.memReader.addMessages("chat", { messages: [{ role: "user", speaker: "Caroline", content: "I adopted a dog named Max.", at: "2023-06-01T10:00:00Z", messageId: "f1" }], mode: "fine" });
    if (!result.async) throw new Error("async by default");
    const dead = await ledger.jobs.wait(result.job.jobId, 20_000);
    expect(dead.job).toMatchObject({ status: "dead", attempts: 2 });
    expect(dead.job.lastError).toContain("model endpoint exploded");
    const raw = await ledger.memories.get(result.rawMemoryIds[0]!);
    expect(raw).toMatchObject({ status: "activated", attributes: { memoryType: "raw_source" }, content: { text: "I adopted a dog named Max." } });
    const found = await ledger.search({ query: "adopted dog Max", cubeIds: ["chat"], mode: "bm25", filters: { memoryTypes: ["raw_source"] } });
    expect(found.results.map((r) => r.memory.memoryId)).toEqual([raw.memoryId]);
    mode = "good";
    const retried = await ledger.jobs.retry(result.job.jobId);
    const done = await ledger.jobs.wait(retried.jobId, 20_000);
    expect(done.job.status).toBe("done");
  });

  it("a rerun after a failure halfway adds nothing twice (unit and command ids derive from the job)", async () => {
    let calls = 0;
    mode = "good";
    const flaky = fakeModel((request) => {
      calls++;
      // The second chunk (second session) fails on the first attempt only.
      if (JSON.stringify(request.messages).includes("Next session")) {
        if (calls === 2) throw new Error("transient");
        return { memories: [{ kind: "fact", text: "Caroline has a new session.", date: null, turnIds: ["t1"] }] };
      }
      return goodAnswer;
    });
    const own = await tempLedger({ chatModel: flaky, jobBus: { kind: "sqlite", retryPolicy: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 20 }, pollIntervalMs: 20 } });
    try {
      await own.ledger.cubes.create({ cubeId: "c", name: "c", owner: { kind: "user", id: "u" } });
      const twoSessions = [...messages, { role: "user" as const, speaker: "Caroline", content: "Next session already!", at: "2023-05-09T09:00:00Z", messageId: "d1", sessionId: "s2" }];
      const result = await own.ledger.memReader.addMessages("c", { messages: twoSessions, sessionId: "s1", mode: "fine" });
      if (!result.async) throw new Error("async by default");
      const done = await own.ledger.jobs.wait(result.job.jobId, 20_000);
      expect(done.job).toMatchObject({ status: "done", attempts: 2 });
      const units = await own.ledger.cubes.memories("c");
      const derived = units.filter((u) => u.attributes.memoryType !== "raw_source");
      expect(derived.map((u) => u.content?.text).sort()).toEqual(["Caroline went to an LGBTQ support group on 2023-05-07.", "Caroline has a new session.", "Caroline is a counsellor.", "Melanie drinks tea when she paints."].sort());
    } finally {
      await own.dispose();
    }
  });
});

describe("MemReader fine mode through the real OpenAI-compatible adapter", () => {
  let server: ChatCompletionsServer;
  beforeAll(async () => {
    server = await startChatCompletionsServer({ rules: [{ schemaName: "memreader_extraction", json: goodAnswer, usage: { promptTokens: 321, completionTokens: 54 } }] });
  });
  afterAll(() => server.close());

  it("sends the prompt with a json_schema response format and stores what the endpoint answered, with usage", async () => {
    const { ledger, dispose } = await tempLedger({ chatModel: openAiChatModel({ baseURL: server.url, model: "scripted-model" }) });
    try {
      await ledger.cubes.create({ cubeId: "c", name: "c", owner: { kind: "user", id: "u" } });
      const result = await ledger.memReader.addMessages("c", { messages, mode: "fine", async: false });
      if (result.async) throw new Error("sync asked");
      expect(result.memories.map((m) => m.content?.text)).toEqual(goodAnswer.memories.slice(0, 3).map((m) => m.text));
      expect(result.report.usage).toMatchObject({ model: "scripted-model", calls: 1, promptTokens: 321, completionTokens: 54 });
      expect(server.requests[0]!.response_format?.json_schema?.name).toBe("memreader_extraction");
      expect((await ledger.memories.history(result.memories[0]!.memoryId))[0]!.automation).toMatchObject({ component: "memreader.fine", model: "scripted-model", prompt: "memreader.extract-facts@1" });
    } finally {
      await dispose();
    }
  });
});

describe("MemReader images with a vision-capable model", () => {
  it("asks the model to describe each image (image_url part) and stores the description beside reference and caption", async () => {
    const seen: unknown[] = [];
    const vision: ChatModelPort = {
      ...fakeModel(() => ({ memories: [] })),
      complete: async (request) => {
        seen.push(request.messages);
        return { text: "A red bicycle leaning on a blue wall.", model: "vision-model", usage: { promptTokens: 50, completionTokens: 10 }, calls: 1 };
      },
    };
    const { ledger, dispose } = await tempLedger({ chatModel: vision, memReader: { vision: true } });
    try {
      await ledger.cubes.create({ cubeId: "c", name: "c", owner: { kind: "user", id: "u" } });
      const result = await ledger.memReader.addMessages("c", {
        messages: [{ role: "user", speaker: "Ana", parts: [{ type: "text", text: "My new bike!" }, { type: "image", ref: "blob:bike-1", caption: "my bike" }], messageId: "i1" }],
        mode: "fine",
        async: false,
      });
      if (result.async) throw new Error("sync asked");
      const image = result.memories.find((m) => m.content?.metadata.imageRef === "blob:bike-1");
      expect(image?.content).toMatchObject({ text: "A red bicycle leaning on a blue wall.", metadata: { imageCaption: "my bike", imageDescription: "A red bicycle leaning on a blue wall." }, sources: [{ ref: "i1" }] });
      expect(JSON.stringify(seen[0])).toContain('"type":"image_url","imageUrl":"blob:bike-1"');
      expect((await ledger.memories.history(image!.memoryId))[0]!.automation).toMatchObject({ component: "memreader.fine", prompt: "memreader.describe-image@1" });
      expect(result.report.usage).toMatchObject({ calls: 2, promptTokens: 150, completionTokens: 30 });
    } finally {
      await dispose();
    }
  });
});
