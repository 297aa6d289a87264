import type { LedgerApi } from "../app/ledgerApi.js";
import { ChatModelNotConfigured } from "../chatModel/chatModelErrors.js";
import type { ChatMessage, ChatModelPort, ChatRequest, ChatStream, TokenUsage } from "../chatModel/chatModelPort.js";
import { loadPrompt } from "../chatModel/promptLibrary.js";
import { invalidRequest } from "../command/appErrors.js";
import { searchLimits } from "../search/normalizeSearchRequest.js";
import type { SearchRequest } from "../search/searchRequest.js";
import { memChatLimits, type ChatCompletionRequest, type MemChatOptions } from "./chatCompletionRequest.js";
import { lastUserTurn, memoryQueryOf, toChatMessages } from "./conversation.js";
import { memorySystemMessage, type InjectedMemory } from "./memoryBlock.js";

/**
 * mem_chat: a chat answered with the caller's memories. Retrieves memories for
 * the conversation (a search over the cubes the caller may read), puts them
 * with their ids in a system message, asks the configured chat model, and
 * optionally sends the new turns to MemReader. Written once over any
 * LedgerApi: a principal's (REST, the CLI with a key), the root ledger, or the
 * HTTP client; the ledger's own gate decides what may be read and written.
 */

/** What mem_chat needs from a ledger. */
export type MemChatLedger<Ctx> = Pick<LedgerApi<Ctx>, "cubes" | "search" | "memReader">;

export interface MemChatDeps<Ctx> {
  readonly ledger: MemChatLedger<Ctx>;
  /** Absent: no model configured, and mem_chat answers 409 ChatModelNotConfigured. */
  readonly chatModel: ChatModelPort | undefined;
  readonly ctx?: Ctx;
}

/** A chat ready to send upstream: the memories found and the messages that carry them. */
export interface PreparedChat {
  readonly chatModel: ChatModelPort;
  readonly cubeIds: readonly string[];
  /** What the search asked with ("" when there was no user text to ask with). */
  readonly query: string;
  readonly memories: readonly InjectedMemory[];
  /** The system prompt's `id@version`. */
  readonly prompt: string;
  readonly upstream: ChatRequest;
  /** Set when the turns are to be remembered (cube chosen and checked before the model is asked). */
  readonly remember?: { readonly cubeId: string; readonly userTurn: string; readonly userId?: string; readonly sessionId?: string };
}

/** What became of `remember: true`: the MemReader job, or why the turns were not sent (the answer stands). */
export type RememberOutcome =
  | { readonly cubeId: string; readonly jobId: string; readonly rawMemoryIds: readonly string[] }
  | { readonly cubeId: string; readonly error: { readonly code: string; readonly message: string } };

export interface MemChatAnswer {
  readonly text: string;
  readonly model: string;
  readonly usage: TokenUsage;
}

const systemPromptId = "memchat.system";

export async function prepareMemChat<Ctx>(deps: MemChatDeps<Ctx>, request: ChatCompletionRequest, options: MemChatOptions = {}): Promise<PreparedChat> {
  const messages = toChatMessages(request.messages);
  const cubeIds = await cubesToSearch(deps, options);
  const query = memoryQueryOf(request.messages);
  const limit = options.limit ?? memChatLimits.defaultMemories;
  const memories = query !== "" && limit > 0 && cubeIds.length > 0 ? await retrieve(deps, { query, cubeIds, limit, options }) : await cubesExist(deps, cubeIds);
  const remember = options.remember === true ? rememberTarget(request, options, cubeIds) : undefined;
  // A cube remembered into but not searched is checked now, before the model is asked.
  if (remember !== undefined && !cubeIds.includes(remember.cubeId)) await deps.ledger.cubes.get(remember.cubeId);
  // Asked after the cubes were checked: a cube the caller may not read is a 404 whether or not a model is configured.
  if (deps.chatModel === undefined) throw new ChatModelNotConfigured("mem_chat (POST /v1/chat/completions)");
  const prompt = loadPrompt(systemPromptId);
  const maxTokens = smallest(request.max_tokens, request.max_completion_tokens);
  const upstreamMessages: ChatMessage[] = [{ role: "system", content: memorySystemMessage(prompt, memories) }, ...messages];
  return {
    chatModel: deps.chatModel,
    cubeIds,
    query,
    memories,
    prompt: prompt.ref,
    upstream: {
      messages: upstreamMessages,
      ...(typeof request.temperature === "number" ? { temperature: request.temperature } : {}),
      ...(maxTokens !== undefined ? { maxTokens } : {}),
    },
    ...(remember !== undefined ? { remember } : {}),
  };
}

/** The answer in one piece. */
export async function completeMemChat(prepared: PreparedChat, signal?: AbortSignal): Promise<MemChatAnswer> {
  const answer = await prepared.chatModel.complete({ ...prepared.upstream, ...(signal !== undefined ? { signal } : {}) });
  return { text: answer.text, model: answer.model, usage: answer.usage };
}

/** The answer as text deltas; `done` has the whole text, the model and the usage. */
export function streamMemChat(prepared: PreparedChat, signal?: AbortSignal): ChatStream {
  const stream = prepared.chatModel.stream({ ...prepared.upstream, ...(signal !== undefined ? { signal } : {}) });
  // A stream that fails before `done` is awaited (the first delta refused, the client gone) must not leave an unhandled rejection.
  stream.done.catch(() => undefined);
  return stream;
}

/**
 * Sends the last user turn and the answer to MemReader (async, fast mode). A
 * refusal here does not take the answer back: it is reported next to it.
 */
export async function rememberTurns<Ctx>(deps: MemChatDeps<Ctx>, prepared: PreparedChat, answerText: string): Promise<RememberOutcome | undefined> {
  const target = prepared.remember;
  if (target === undefined) return undefined;
  try {
    const result = await deps.ledger.memReader.addMessages(
      target.cubeId,
      {
        messages: [
          { role: "user", content: target.userTurn },
          ...(answerText.trim() !== "" ? [{ role: "assistant" as const, content: answerText }] : []),
        ],
        ...(target.userId !== undefined ? { userId: target.userId } : {}),
        ...(target.sessionId !== undefined ? { sessionId: target.sessionId } : {}),
        async: true,
      },
      deps.ctx,
    );
    if (!result.async) return { cubeId: target.cubeId, jobId: "", rawMemoryIds: result.rawMemoryIds };
    return { cubeId: target.cubeId, jobId: result.job.jobId, rawMemoryIds: result.rawMemoryIds };
  } catch (error) {
    const tagged = error as { _tag?: unknown; error?: unknown; message?: unknown };
    const code = typeof tagged?._tag === "string" ? tagged._tag : typeof tagged?.error === "string" ? tagged.error : "RememberFailed";
    return { cubeId: target.cubeId, error: { code, message: error instanceof Error ? error.message : String(error) } };
  }
}

async function cubesToSearch<Ctx>(deps: MemChatDeps<Ctx>, options: MemChatOptions): Promise<readonly string[]> {
  if (options.cubeIds !== undefined) return [...new Set(options.cubeIds)];
  const readable = (await deps.ledger.cubes.list()).map((cube) => cube.cubeId);
  if (readable.length > searchLimits.cubeIds) {
    throw invalidRequest("memledger.cubeIds", `is needed: you may read ${readable.length} cubes, more than one search covers (${searchLimits.cubeIds}); name the cubes to search`);
  }
  return readable;
}

async function retrieve<Ctx>(
  deps: MemChatDeps<Ctx>,
  search: { query: string; cubeIds: readonly string[]; limit: number; options: MemChatOptions },
): Promise<InjectedMemory[]> {
  const { options } = search;
  const request: SearchRequest = {
    query: search.query,
    cubeIds: search.cubeIds,
    topK: search.limit,
    ...(options.mode !== undefined ? { mode: options.mode } : {}),
    ...(options.asOf !== undefined ? { asOf: options.asOf } : {}),
  };
  const found = await deps.ledger.search(request);
  return found.results.flatMap((hit) => {
    const text = hit.memory.content?.text;
    return text === undefined || text.trim() === "" ? [] : [{ memoryId: hit.memory.memoryId, cubeId: hit.memory.cubeId, text }];
  });
}

/** Nothing to search with: the cubes named are still checked, so a cube the caller may not read is refused as a search would. */
async function cubesExist<Ctx>(deps: MemChatDeps<Ctx>, cubeIds: readonly string[]): Promise<InjectedMemory[]> {
  for (const cubeId of cubeIds) await deps.ledger.cubes.get(cubeId);
  return [];
}

function rememberTarget(request: ChatCompletionRequest, options: MemChatOptions, cubeIds: readonly string[]): PreparedChat["remember"] {
  const userTurn = lastUserTurn(request.messages);
  if (userTurn === undefined) throw invalidRequest("memledger.remember", "needs a user turn with text to remember");
  const cubeId = options.rememberCubeId ?? (cubeIds.length === 1 ? cubeIds[0] : undefined);
  if (cubeId === undefined) {
    throw invalidRequest(
      "memledger.rememberCubeId",
      cubeIds.length === 0 ? "is needed: there is no cube to remember into (you may read none); name one you may write" : `is needed: ${cubeIds.length} cubes are searched; name the one to remember into`,
    );
  }
  return { cubeId, userTurn, ...(options.userId !== undefined ? { userId: options.userId } : {}), ...(options.sessionId !== undefined ? { sessionId: options.sessionId } : {}) };
}

function smallest(...values: readonly (number | null | undefined)[]): number | undefined {
  const given = values.filter((v): v is number => typeof v === "number");
  return given.length === 0 ? undefined : Math.min(...given);
}
