import type { Command } from "commander";
import { readFile } from "node:fs/promises";
import type { LedgerApi, RequestOptions } from "../app/ledgerApi.js";
import type { AddMessagesRequest, ConversationMessage, ReaderMode } from "../memReader/conversationMessage.js";
import type { AddMessagesResult } from "../memReader/memReaderService.js";

/** What the commands need from main.ts's program: its leaf builder and its ledger session. */
export interface MemReaderCliHost {
  leaf(parent: Command, nameAndArgs: string, description: string): Command;
  withLedger(
    cmd: Command,
    work: (session: { readonly ledger: Pick<LedgerApi<RequestOptions>, "memReader">; readonly ctx: RequestOptions; print<T>(value: T, format: (value: T) => string): void }) => Promise<void>,
  ): Promise<void>;
}

interface AddOptions {
  cube: string;
  file: string;
  mode?: string;
  user?: string;
  session?: string;
  wait?: boolean;
}

export const formatMessagesAdded = (result: AddMessagesResult): string => {
  const head = `${result.rawMemoryIds.length} turn(s) stored as raw_source units (${result.mode} mode)`;
  if (result.async) return `${head}\nextraction job ${result.job.jobId} (${result.job.status}); follow it with: memledger job wait ${result.job.jobId}`;
  const r = result.report;
  const counts = `${r.windows} window(s), ${r.facts} fact(s), ${r.tools} tool call(s), ${r.images} image(s)${r.usage ? `; model ${r.usage.model}: ${r.usage.calls} call(s), ${r.usage.promptTokens}+${r.usage.completionTokens} tokens${r.usage.costUsd !== undefined ? `, $${r.usage.costUsd.toFixed(4)}` : ""}` : ""}`;
  return [`${head}\n${result.memories.length} memor${result.memories.length === 1 ? "y" : "ies"} extracted: ${counts}`, ...result.memories.map((m) => `  ${m.memoryId}  ${m.attributes.memoryType}  ${(m.content?.text ?? "").split("\n")[0]!.slice(0, 100)}`)].join("\n");
};

/** A conversation file: a list of messages, or a whole request ({ messages, userId?, sessionId? }). */
export async function conversationRequestOf(file: string, o: Omit<AddOptions, "cube" | "file">): Promise<AddMessagesRequest> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new Error(`${file}: not a JSON conversation (${error instanceof Error ? error.message : String(error)}); give a list of messages or { "messages": [...] }`);
  }
  const base = Array.isArray(parsed) ? { messages: parsed as ConversationMessage[] } : (parsed as AddMessagesRequest);
  if (!Array.isArray(base?.messages)) throw new Error(`${file}: has no messages; give a list of messages or { "messages": [...] }`);
  if (o.mode !== undefined && o.mode !== "fast" && o.mode !== "fine") throw new Error(`--mode must be fast or fine, got ${o.mode}`);
  return {
    ...base,
    ...(o.user !== undefined ? { userId: o.user } : {}),
    ...(o.session !== undefined ? { sessionId: o.session } : {}),
    ...(o.mode !== undefined ? { mode: o.mode as ReaderMode } : {}),
    ...(o.wait === true ? { async: false } : {}),
  };
}

/** `memledger messages add --cube <id> --file <conversation.json> [--mode fine] [--wait]`. */
export function registerMemReaderCommands(program: Command, host: MemReaderCliHost): void {
  const messages = program.command("messages").description("conversations read into memories (docs/memreader.md): raw turns first, then windows (fast) or a chat model's facts (fine)");
  host
    .leaf(messages, "add", "store a conversation's turns in a cube and extract memories from them: as a job (default; a server or worker on the data directory runs it) or, with --wait, before returning")
    .requiredOption("--cube <cubeId>", "the cube to add it to")
    .requiredOption("--file <conversation.json>", "a JSON list of messages ({ role, speaker?, content | parts, at?, messageId?, sessionId?, toolCall? }), or { messages, userId?, sessionId? }")
    .option("--mode <mode>", "fast (windows of turns, no model; default) or fine (a chat model extracts facts, events, preferences, persona)")
    .option("--user <userId>", "whom the conversation is about")
    .option("--session <sessionId>", "the session of turns that name none")
    .option("--wait", "extract in this call and print the memories, instead of leaving it to a job")
    .action((o: AddOptions, cmd: Command) =>
      host.withLedger(cmd, async ({ ledger, ctx, print }) => {
        const { cube, file, ...rest } = o;
        print(await ledger.memReader.addMessages(cube, await conversationRequestOf(file, rest), ctx), formatMessagesAdded);
      }),
    );
}
