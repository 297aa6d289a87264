import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import OpenAI from "openai";
import type { ChatModelPort } from "../chatModel/chatModelPort.js";
import type { MemChatOptions, OpenAiMessage } from "./chatCompletionRequest.js";
import type { MemChatReport } from "./chatCompletionResponse.js";
import { memChatReport } from "./chatCompletionResponse.js";
import { prepareMemChat, rememberTurns, streamMemChat, type MemChatLedger } from "./memChat.js";

/**
 * A chat by hand (`memledger chat`): one user line in, the answer streamed
 * out, the memories it used named after it. The conversation so far goes with
 * each turn, as a chat client sends it.
 */

export interface ChatTurnResult {
  readonly text: string;
  readonly report?: MemChatReport;
}

/** One turn: the conversation so far in, the answer's deltas to `onDelta`, the whole answer and mem_chat's report out. */
export type ChatTurn = (messages: readonly OpenAiMessage[], onDelta: (text: string) => void) => Promise<ChatTurnResult>;

/** A turn against a memledger server's `POST /v1/chat/completions`, with the `openai` client. */
export function remoteChatTurn(serverUrl: string, apiKey: string, options: MemChatOptions): ChatTurn {
  const client = new OpenAI({ baseURL: `${serverUrl.replace(/\/+$/, "")}/v1`, apiKey, maxRetries: 0 });
  return async (messages, onDelta) => {
    // memledger's extension field rides in the body as it is: the client sends what it is given.
    const body: OpenAI.Chat.ChatCompletionCreateParamsStreaming & { memledger: MemChatOptions } = {
      model: "memledger",
      stream: true,
      messages: messages as OpenAI.Chat.ChatCompletionMessageParam[],
      memledger: options,
    };
    const stream = await client.chat.completions.create(body);
    let text = "";
    let report: MemChatReport | undefined;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta.content ?? "";
      if (delta !== "") {
        text += delta;
        onDelta(delta);
      }
      const extension = (chunk as { memledger?: MemChatReport }).memledger;
      if (extension !== undefined) report = extension;
      const failure = (chunk as { error?: { message?: string } }).error;
      if (failure !== undefined) throw new Error(failure.message ?? "the stream failed");
    }
    return { text, ...(report !== undefined ? { report } : {}) };
  };
}

/** A turn in process: the ledger given (a principal's, or the local operator's) and a chat model of this process. */
export function localChatTurn<Ctx>(ledger: MemChatLedger<Ctx>, chatModel: ChatModelPort | undefined, options: MemChatOptions, ctx?: Ctx): ChatTurn {
  const deps = { ledger, chatModel, ...(ctx !== undefined ? { ctx } : {}) };
  return async (messages, onDelta) => {
    const prepared = await prepareMemChat(deps, { messages }, options);
    const stream = streamMemChat(prepared);
    for await (const delta of stream) if (delta !== "") onDelta(delta);
    const done = await stream.done;
    const remember = await rememberTurns(deps, prepared, done.text);
    return { text: done.text, report: memChatReport(prepared, remember) };
  };
}

/** What is printed after an answer: the memories it was given, and the remember job. */
export function formatTurnReport(report: MemChatReport | undefined): string {
  if (report === undefined) return "";
  const used = report.memoryIds.length === 0 ? "no memories used" : `memories used: ${report.memoryIds.join(", ")}`;
  const remember = report.remember;
  if (remember === undefined) return `[${used}]`;
  if ("error" in remember) return `[${used}; not remembered in ${remember.cubeId}: ${remember.error.code}: ${remember.error.message}]`;
  return `[${used}; remembered in ${remember.cubeId} by job ${remember.jobId}]`;
}

/**
 * Reads user lines until end of input or `/exit`; empty lines are skipped. A
 * failed turn is reported and the chat goes on (its user line is dropped from
 * the conversation, as it got no answer).
 */
export async function runChatLoop(io: { input: Readable; out: (s: string) => void; err: (s: string) => void; prompt?: boolean }, turn: ChatTurn): Promise<number> {
  const lines = createInterface({ input: io.input, terminal: false });
  const conversation: OpenAiMessage[] = [];
  let turns = 0;
  if (io.prompt) io.err("you> ");
  for await (const raw of lines) {
    const line = raw.trim();
    if (line === "/exit" || line === "/quit") break;
    if (line !== "") {
      conversation.push({ role: "user", content: line });
      try {
        io.out("assistant> ");
        const result = await turn(conversation, (delta) => io.out(delta));
        io.out("\n");
        const report = formatTurnReport(result.report);
        if (report !== "") io.out(`${report}\n`);
        conversation.push({ role: "assistant", content: result.text });
        turns++;
      } catch (error) {
        conversation.pop();
        io.out("\n");
        io.err(`error: ${error instanceof Error ? error.message : String(error)}\n`);
      }
    }
    if (io.prompt) io.err("you> ");
  }
  lines.close();
  return turns;
}
