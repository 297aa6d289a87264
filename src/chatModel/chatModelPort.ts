import { Context } from "effect";

/**
 * The one way memledger talks to a chat model (MemReader's fine mode, merge
 * decisions, feedback plans, preferences, mem_chat). Adapters: an
 * OpenAI-compatible endpoint (openAiChatModel.ts: OpenAI, vLLM, Ollama,
 * llama.cpp server, any base URL). When no model is configured the service is
 * absent (`Effect.serviceOption(ChatModel)`), and what needs it says so with a
 * 409 `ChatModelNotConfigured` instead of guessing.
 */

/** A part of a multimodal user message (OpenAI content parts). */
export type ChatContentPart =
  | { readonly type: "text"; readonly text: string }
  | { readonly type: "image_url"; readonly imageUrl: string };

export interface ChatMessage {
  readonly role: "system" | "user" | "assistant";
  readonly content: string | readonly ChatContentPart[];
}

/** Tokens a call used, and what they cost when a price per million tokens is configured. */
export interface TokenUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** USD; absent when no price is configured for the model. */
  readonly costUsd?: number;
}

export interface ChatRequest {
  readonly messages: readonly ChatMessage[];
  readonly temperature?: number;
  readonly maxTokens?: number;
  /** Aborts the call (job lease lost, client gone). */
  readonly signal?: AbortSignal;
}

export interface ChatAnswer {
  readonly text: string;
  /** The model as the endpoint named it in its answer. */
  readonly model: string;
  readonly usage: TokenUsage;
  /** Calls made, retries on transient errors included. */
  readonly calls: number;
}

/** A JSON Schema (draft 2020-12 subset that OpenAI's `json_schema` response format accepts). */
export type JsonSchemaObject = Readonly<Record<string, unknown>>;

export interface StructuredRequest extends ChatRequest {
  /** Names the schema for the endpoint (`response_format.json_schema.name`): letters, digits, `_`, `-`. */
  readonly schemaName: string;
  readonly schema: JsonSchemaObject;
}

export interface StructuredAnswer<T> {
  /** Parsed and validated against the schema. */
  readonly value: T;
  readonly model: string;
  /** Summed over every call, repairs included. */
  readonly usage: TokenUsage;
  readonly calls: number;
  /** True when the first answer was invalid and a repair round (bounded) fixed it. */
  readonly repaired: boolean;
}

/** Streamed text of a chat answer, then the totals. */
export interface ChatStream extends AsyncIterable<string> {
  /** Resolves after the stream ends. */
  readonly done: Promise<Omit<ChatAnswer, "text"> & { readonly text: string }>;
}

export interface ChatModelPort {
  /** The configured model name (what requests ask for). */
  readonly model: string;
  complete(request: ChatRequest): Promise<ChatAnswer>;
  /**
   * Asks for JSON matching `schema`, validates it, and when it does not
   * validate sends the errors back for a bounded number of repair rounds; fails
   * with ChatModelAnswerInvalid when it still does not.
   */
  completeStructured<T>(request: StructuredRequest): Promise<StructuredAnswer<T>>;
  stream(request: ChatRequest): ChatStream;
}

export class ChatModel extends Context.Tag("memledger/ChatModel")<ChatModel, ChatModelPort>() {}
