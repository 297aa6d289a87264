import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MemLedger } from "../src/app/memLedger.js";
import type { ChatModelPort, ChatRequest, ChatStream } from "../src/chatModel/chatModelPort.js";
import { localChatTurn, runChatLoop } from "../src/memChat/chatSession.js";
import { buildServer } from "../src/server/buildServer.js";
import { startChatCompletionsServer, type ChatCompletionsServer } from "./support/chatCompletionsServer.js";
import { tempLedger } from "./support/tempLedger.js";

/** An in-process chat model that streams a fixed answer in pieces and records what it was asked. */
function streamingModel(answer: (request: ChatRequest) => string): ChatModelPort & { asked: ChatRequest[] } {
  const asked: ChatRequest[] = [];
  const usage = { promptTokens: 10, completionTokens: 5 };
  return {
    model: "fake-streamer",
    asked,
    complete: async (request) => {
      asked.push(request);
      return { text: answer(request), model: "fake-streamer", usage, calls: 1 };
    },
    completeStructured: async () => {
      throw new Error("not scripted");
    },
    stream: (request): ChatStream => {
      asked.push(request);
      const text = answer(request);
      const pieces = text.match(/.{1,4}/gs) ?? [];
      return {
        async *[Symbol.asyncIterator]() {
          for (const piece of pieces) yield piece;
        },
        done: Promise.resolve({ text, model: "fake-streamer", usage, calls: 1 }),
      };
    },
  };
}

describe("memledger chat", () => {
  let ledger: MemLedger;
  let dispose: () => Promise<void>;
  let dataDir: string;
  let lyonId: string;

  beforeAll(async () => {
    ({ ledger, dispose, dataDir } = await tempLedger());
    await ledger.cubes.create({ cubeId: "home", name: "home", owner: { kind: "user", id: "sam" } });
    lyonId = (await ledger.memories.create({ cubeId: "home", text: "Sam moved to Lyon in 2021.", activate: true } as Parameters<MemLedger["memories"]["create"]>[0])).memoryId;
    await ledger.readModels.catchUp(20_000);
  }, 30_000);
  afterAll(async () => {
    await dispose?.();
  });

  it("the loop streams each answer, names the memories used, keeps the conversation and remembers when asked", async () => {
    const model = streamingModel((request) => (JSON.stringify(request.messages).includes("Lyon") ? "You live in Lyon." : "I do not know."));
    const input = new PassThrough();
    let out = "";
    let err = "";
    const done = runChatLoop({ input, out: (s) => (out += s), err: (s) => (err += s) }, localChatTurn(ledger, model, { cubeIds: ["home"], remember: true, userId: "sam" }));
    input.end("Where did Sam move?\n\nAnd when was that?\n/exit\nnever read\n");
    expect(await done).toBe(2);
    expect(err).toBe("");
    expect(out).toContain("assistant> You live in Lyon.\n");
    expect(out).toContain(`memories used: ${lyonId}`);
    expect(out).toMatch(/remembered in home by job \S+/);
    // The second turn carried the first turn and its answer; the line after /exit was never sent.
    expect(model.asked).toHaveLength(2);
    expect(model.asked[1]!.messages.slice(1)).toEqual([
      { role: "user", content: "Where did Sam move?" },
      { role: "assistant", content: "You live in Lyon." },
      { role: "user", content: "And when was that?" },
    ]);
    expect(JSON.stringify(model.asked)).not.toContain("never read");
  });

  it("a failed turn is reported and the chat goes on", async () => {
    const input = new PassThrough();
    let out = "";
    let err = "";
    let calls = 0;
    const flaky = streamingModel(() => {
      if (++calls === 1) throw new Error("upstream hiccup");
      return "second try works";
    });
    const done = runChatLoop({ input, out: (s) => (out += s), err: (s) => (err += s) }, localChatTurn(ledger, flaky, { cubeIds: ["home"] }));
    input.end("hello\nhello again\n");
    expect(await done).toBe(1);
    expect(err).toBe("error: upstream hiccup\n");
    expect(out).toContain("assistant> second try works\n");
    // The failed line got no answer, so it is not part of the conversation the second turn sends.
    expect(flaky.asked.at(-1)!.messages.slice(1)).toEqual([{ role: "user", content: "hello again" }]);
  });

  describe("spawned, with a real local upstream", { timeout: 120_000 }, () => {
    let upstream: ChatCompletionsServer;
    let app: FastifyInstance;
    let serverLedger: MemLedger;
    let closeServerLedger: () => Promise<void>;
    let url: string;
    let token: string;
    let memoryId: string;

    beforeAll(async () => {
      upstream = await startChatCompletionsServer({ rules: [{ user: /tea/i, text: "You drink green tea every morning." }] });
      const t = await tempLedger({ chatModel: { kind: "openai", baseURL: upstream.url, model: "scripted" } });
      serverLedger = t.ledger;
      closeServerLedger = t.dispose;
      await serverLedger.bootstrapAdmin(join(t.dataDir, "admin.key"));
      token = readFileSync(join(t.dataDir, "admin.key"), "utf8").trim();
      await serverLedger.cubes.create({ cubeId: "habits", name: "habits", owner: { kind: "user", id: "sam" } });
      memoryId = (await serverLedger.memories.create({ cubeId: "habits", text: "Sam drinks green tea every morning.", activate: true } as Parameters<MemLedger["memories"]["create"]>[0])).memoryId;
      await serverLedger.readModels.catchUp(20_000);
      app = await buildServer(serverLedger, { rateLimit: false });
      url = await app.listen({ host: "127.0.0.1", port: 0 });
    }, 60_000);
    afterAll(async () => {
      await app?.close();
      await closeServerLedger?.();
      await upstream?.close();
    });

    it("against a server (--url), prints the answer streamed from the server's model and the memory ids", async () => {
      const child = spawn(process.execPath, ["--import", "tsx", join(process.cwd(), "src", "cli", "main.ts"), "chat", "--url", url, "--api-key", token, "--cube", "habits"], {
        stdio: ["pipe", "pipe", "pipe"],
        env: { ...process.env, MEMLEDGER_CHAT_MODEL_URL: "", MEMLEDGER_CHAT_MODEL: "" },
      });
      let out = "";
      let err = "";
      child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
      child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString("utf8")));
      child.stdin.end("What do I drink with breakfast? tea?\n");
      const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
      expect(code, err).toBe(0);
      expect(out).toContain("assistant> You drink green tea every morning.");
      expect(out).toContain(`memories used: ${memoryId}`);
      const sent = upstream.requests.find((r) => r.response_format === undefined);
      expect(JSON.stringify(sent?.messages[0])).toContain(`[${memoryId}] Sam drinks green tea every morning.`);
      expect(sent?.stream).toBe(true);
    });

    it("in process (--data-dir), asks the model MEMLEDGER_CHAT_MODEL_* name and remembers into the cube", async () => {
      const local = await tempLedger();
      await local.ledger.cubes.create({ cubeId: "diary", name: "diary", owner: { kind: "user", id: "sam" } });
      const noted = await local.ledger.memories.create({ cubeId: "diary", text: "Sam drinks green tea after lunch too." } as Parameters<MemLedger["memories"]["create"]>[0]);
      await local.ledger.readModels.catchUp(20_000);
      await local.ledger.close();
      const before = upstream.requests.length;
      const child = spawn(process.execPath, ["--import", "tsx", join(process.cwd(), "src", "cli", "main.ts"), "chat", "--data-dir", local.dataDir, "--cube", "diary", "--remember"], {
        stdio: ["pipe", "pipe", "pipe"],
        env: { ...process.env, MEMLEDGER_CHAT_MODEL_URL: upstream.url, MEMLEDGER_CHAT_MODEL: "scripted", MEMLEDGER_URL: "" },
      });
      let out = "";
      let err = "";
      child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
      child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString("utf8")));
      child.stdin.end("Do I drink tea after lunch?\n");
      const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
      expect(code, err).toBe(0);
      expect(out).toContain("assistant> You drink green tea every morning.");
      expect(out).toContain(`memories used: ${noted.memoryId}`);
      expect(out).toMatch(/remembered in diary by job \S+/);
      expect(JSON.stringify(upstream.requests.slice(before).find((r) => r.response_format === undefined)?.messages[0])).toContain(`[${noted.memoryId}]`);
      await local.dispose().catch(() => undefined);
    });
  });
});
