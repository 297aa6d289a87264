import { searchLimits } from "../search/normalizeSearchRequest.js";
import { searchModes, type SearchMode } from "../search/searchRequest.js";

/**
 * The body of `POST /v1/chat/completions` as OpenAI clients send it, plus the
 * `memledger` extension. Only the fields mem_chat uses are typed; OpenAI
 * clients send many more (`n`, `tools`, `user`, `seed` ...), and those are
 * tolerated and ignored rather than refused, so any client works unchanged.
 */

export type OpenAiContentPart =
  | { readonly type: "text"; readonly text: string }
  | { readonly type: "image_url"; readonly image_url: string | { readonly url: string } }
  | { readonly type: string; readonly [key: string]: unknown };

export interface OpenAiMessage {
  readonly role: "system" | "developer" | "user" | "assistant" | "tool" | "function";
  readonly content?: string | readonly OpenAiContentPart[] | null;
  readonly name?: string;
}

/** What memory the chat reads and writes; every field optional (headers can give them too). */
export interface MemChatOptions {
  /** The cubes searched; default: every cube the caller may read (at most searchLimits.cubeIds). */
  readonly cubeIds?: readonly string[];
  /** Memories injected at most; default 8. */
  readonly limit?: number;
  /** Search mode; default the server's (hybrid with an embedder, else bm25). */
  readonly mode?: SearchMode;
  /** Answer with the memory as it was at a log position or a recorded time. */
  readonly asOf?: { readonly position: number } | { readonly time: string };
  /** Send the new turns (the last user turn and the answer) to MemReader as an async job. */
  readonly remember?: boolean;
  /** The cube remembered into; default the only cube searched (required when several are). */
  readonly rememberCubeId?: string;
  /** The user the remembered turns are about (their userId and data subject). */
  readonly userId?: string;
  readonly sessionId?: string;
}

export interface ChatCompletionRequest {
  readonly model?: string;
  readonly messages: readonly OpenAiMessage[];
  readonly stream?: boolean;
  readonly stream_options?: { readonly include_usage?: boolean } | null;
  readonly temperature?: number | null;
  readonly max_tokens?: number | null;
  /** OpenAI's newer name for max_tokens; the smaller wins when both are given. */
  readonly max_completion_tokens?: number | null;
  readonly memledger?: MemChatOptions;
}

/** The default number of memories injected, and the most a request may ask for. */
export const memChatLimits = { defaultMemories: 8, maxMemories: 50, messages: 1_000, idLength: searchLimits.valueLength } as const;

const id = { type: "string", minLength: 1, maxLength: memChatLimits.idLength } as const;

export const memChatOptionsSchema = {
  type: "object",
  additionalProperties: false,
  description: "memledger's extension: which memory the chat reads and writes (headers x-memledger-* give the same; the body wins)",
  properties: {
    cubeIds: { type: "array", minItems: 1, maxItems: searchLimits.cubeIds, items: id, description: "the cubes searched; default every cube the caller may read" },
    limit: { type: "integer", minimum: 0, maximum: memChatLimits.maxMemories, description: `memories injected at most (default ${memChatLimits.defaultMemories}; 0 injects none)` },
    mode: { type: "string", enum: [...searchModes] },
    asOf: {
      type: "object",
      description: "answer with the memory as it was at a log position or a recorded time",
      anyOf: [
        { type: "object", additionalProperties: false, required: ["position"], properties: { position: { type: "integer", minimum: 0 } } },
        { type: "object", additionalProperties: false, required: ["time"], properties: { time: { type: "string", format: "date-time" } } },
      ],
    },
    remember: { type: "boolean", description: "send the last user turn and the answer to MemReader as an async job (needs write on the cube)" },
    rememberCubeId: { ...id, description: "the cube remembered into; default the only cube searched" },
    userId: { ...id, description: "the user the remembered turns are about" },
    sessionId: { ...id, description: "the session of the remembered turns" },
  },
} as const;

const contentPart = {
  type: "object",
  required: ["type"],
  additionalProperties: true,
  properties: { type: { type: "string", maxLength: 100 }, text: { type: "string" } },
} as const;

export const chatCompletionBody = {
  type: "object",
  required: ["messages"],
  // OpenAI clients send fields memledger does not use; they are ignored, not refused.
  additionalProperties: true,
  properties: {
    model: { type: "string", maxLength: 1_000, description: "ignored: the configured upstream model answers (its name is in the answer)" },
    messages: {
      type: "array",
      minItems: 1,
      maxItems: memChatLimits.messages,
      items: {
        type: "object",
        required: ["role"],
        additionalProperties: true,
        properties: {
          role: { type: "string", enum: ["system", "developer", "user", "assistant", "tool", "function"] },
          content: { anyOf: [{ type: "string" }, { type: "array", maxItems: 100, items: contentPart }, { type: "null" }] },
          name: { type: "string", maxLength: 1_000 },
        },
      },
    },
    stream: { type: "boolean" },
    stream_options: { type: ["object", "null"], additionalProperties: true, properties: { include_usage: { type: "boolean" } } },
    temperature: { type: ["number", "null"], minimum: 0, maximum: 2 },
    max_tokens: { type: ["integer", "null"], minimum: 1, maximum: 1_000_000 },
    max_completion_tokens: { type: ["integer", "null"], minimum: 1, maximum: 1_000_000 },
    memledger: memChatOptionsSchema,
  },
} as const;
