import OpenAI, { APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import type { ChatAnswer, ChatMessage, ChatModelPort, ChatRequest, ChatStream, StructuredAnswer, StructuredRequest, TokenUsage } from "./chatModelPort.js";
import { ChatModelUnavailable } from "./chatModelErrors.js";
import { completeWithRepair, defaultRepairRounds } from "./structuredAnswer.js";
import { defaultRetrySettings, isRetriableStatus, parseRetryAfter, retryDelayMs, type RetrySettings } from "./retryBackoff.js";
import { noUsage, pricedUsage, type ChatModelPrices } from "./tokenUsage.js";
import { redactUrl } from "../redactUrl.js";

export interface OpenAiChatModelOptions {
  /** The API root, e.g. `https://api.openai.com/v1`, `http://localhost:11434/v1` (Ollama), `http://localhost:8000/v1` (vLLM), `http://localhost:8080/v1` (llama.cpp server). */
  readonly baseURL: string;
  /** The model name the endpoint knows, e.g. `gpt-4o-mini` or `qwen2.5:7b-instruct`. */
  readonly model: string;
  /** Sent as a bearer token; local servers usually need none. */
  readonly apiKey?: string;
  /** Per call (each retry gets its own); default 60,000 ms. */
  readonly timeoutMs?: number;
  readonly retry?: Partial<RetrySettings>;
  /** Repair rounds after an answer that does not validate (default 2). */
  readonly repairRounds?: number;
  /** USD per million input/output tokens; absent: usage is counted, not costed. */
  readonly prices?: ChatModelPrices;
}

type ResponseFormat = OpenAI.Chat.Completions.ChatCompletionCreateParams["response_format"];

/**
 * The ChatModelPort over any endpoint that speaks OpenAI's chat completions.
 * Retries are ours, not the SDK's: we count every call (usage and cost are per
 * call), honour Retry-After, and never retry a 4xx other than 408/429.
 */
export function openAiChatModel(options: OpenAiChatModelOptions): ChatModelPort {
  const client = new OpenAI({ baseURL: options.baseURL, apiKey: options.apiKey ?? "no-key", maxRetries: 0 });
  const timeoutMs = options.timeoutMs ?? 60_000;
  const retry: RetrySettings = { ...defaultRetrySettings, ...options.retry };
  const repairRounds = options.repairRounds ?? defaultRepairRounds;
  const endpoint = redactUrl(options.baseURL);
  const where = `chat model ${options.model} at ${endpoint}`;
  // Learned once: an endpoint that refused json_schema (400) is asked for json_object from then on.
  let jsonSchemaRefused = false;

  function unavailable(cause: unknown, calls: number): ChatModelUnavailable {
    if (cause instanceof APIError && cause.status !== undefined) {
      const status = cause.status;
      const detail = `HTTP ${status}: ${cause.message}`;
      const retryAfterMs = parseRetryAfter(cause.headers);
      const hint =
        status === 401 || status === 403
          ? "check MEMLEDGER_CHAT_MODEL_API_KEY"
          : status === 404
            ? "check MEMLEDGER_CHAT_MODEL (the model name) and that MEMLEDGER_CHAT_MODEL_URL ends in /v1"
            : status === 429 || status >= 500
              ? `still failing after ${calls} call(s); retry later`
              : "the endpoint refused the request";
      return new ChatModelUnavailable(
        { model: options.model, endpoint, calls, status, message: `${where} failed (${detail}); ${hint}`, ...(retryAfterMs !== undefined ? { retryAfterSeconds: Math.ceil(retryAfterMs / 1000) } : {}) },
        { cause },
      );
    }
    const timedOut = cause instanceof APIConnectionTimeoutError;
    const message = timedOut
      ? `${where} did not answer within ${timeoutMs} ms (${calls} call(s)); raise MEMLEDGER_CHAT_MODEL_TIMEOUT_MS or use a faster model`
      : `${where} is unreachable (${innermost(cause)}) after ${calls} call(s); start the server or fix MEMLEDGER_CHAT_MODEL_URL`;
    return new ChatModelUnavailable({ model: options.model, endpoint, calls, message }, { cause });
  }

  /** Runs `call` with retries on transient failures; returns its value and the calls made. */
  async function withRetries<T>(signal: AbortSignal | undefined, call: () => Promise<T>): Promise<{ value: T; calls: number }> {
    for (let calls = 1; ; calls++) {
      try {
        return { value: await call(), calls };
      } catch (cause) {
        if (cause instanceof APIUserAbortError || signal?.aborted) throw signal?.reason ?? cause;
        const status = cause instanceof APIError ? cause.status : undefined;
        if (!isRetriableStatus(status) || calls > retry.maxRetries) throw unavailable(cause, calls);
        const retryAfterMs = cause instanceof APIError ? parseRetryAfter(cause.headers) : undefined;
        await sleep(retryDelayMs(calls, retry, retryAfterMs), signal);
      }
    }
  }

  async function create(request: ChatRequest, messages: readonly ChatMessage[], responseFormat: ResponseFormat | undefined): Promise<ChatAnswer> {
    const { value, calls } = await withRetries(request.signal, () =>
      client.chat.completions.create(
        {
          model: options.model,
          messages: messages.map(toOpenAiMessage),
          ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
          ...(request.maxTokens !== undefined ? { max_tokens: request.maxTokens } : {}),
          ...(responseFormat !== undefined ? { response_format: responseFormat } : {}),
        },
        { timeout: timeoutMs, maxRetries: 0, ...(request.signal ? { signal: request.signal } : {}) },
      ),
    );
    const text = value.choices?.[0]?.message?.content ?? "";
    return { text, model: value.model || options.model, usage: usageOf(value.usage), calls };
  }

  function usageOf(usage: OpenAI.CompletionUsage | undefined | null): TokenUsage {
    return pricedUsage(usage?.prompt_tokens ?? 0, usage?.completion_tokens ?? 0, options.prices);
  }

  async function askStructured(request: StructuredRequest, messages: readonly ChatMessage[]): Promise<ChatAnswer> {
    if (!jsonSchemaRefused) {
      try {
        return await create(request, messages, { type: "json_schema", json_schema: { name: request.schemaName, schema: request.schema as Record<string, unknown>, strict: true } });
      } catch (error) {
        if (!(error instanceof ChatModelUnavailable && error.status === 400)) throw error;
        jsonSchemaRefused = true;
      }
    }
    // JSON mode: the endpoint promises JSON but not the schema, so the schema goes in a system message and validation does the rest.
    const schemaNote: ChatMessage = {
      role: "system",
      content: `Answer with only a JSON object that matches this JSON schema (named "${request.schemaName}"):\n${JSON.stringify(request.schema)}`,
    };
    return create(request, [schemaNote, ...messages], { type: "json_object" });
  }

  return {
    model: options.model,
    complete: (request) => create(request, request.messages, undefined),
    completeStructured<T>(request: StructuredRequest): Promise<StructuredAnswer<T>> {
      return completeWithRepair<T>(request, repairRounds, options.model, (messages) => askStructured(request, messages));
    },
    stream(request) {
      return streamAnswer(request);
    },
  };

  function streamAnswer(request: ChatRequest): ChatStream {
    let settle!: { resolve: (v: Omit<ChatAnswer, "text"> & { text: string }) => void; reject: (e: unknown) => void };
    const done = new Promise<Omit<ChatAnswer, "text"> & { text: string }>((resolve, reject) => (settle = { resolve, reject }));
    // A caller that only iterates must not see an unhandled rejection from `done`.
    done.catch(() => undefined);
    let started = false;

    async function* deltas(): AsyncGenerator<string> {
      let text = "";
      let usage = noUsage;
      let model = options.model;
      let finished = false;
      let opened: { value: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk> & { controller: AbortController }; calls: number } | undefined;
      try {
        const open = (includeUsage: boolean) =>
          withRetries(request.signal, () =>
            client.chat.completions.create(
              {
                model: options.model,
                messages: request.messages.map(toOpenAiMessage),
                stream: true,
                ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
                ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
                ...(request.maxTokens !== undefined ? { max_tokens: request.maxTokens } : {}),
              },
              { timeout: timeoutMs, maxRetries: 0, ...(request.signal ? { signal: request.signal } : {}) },
            ),
          );
        try {
          opened = await open(true);
        } catch (error) {
          // Older servers refuse stream_options; the text still streams, without a usage count.
          if (!(error instanceof ChatModelUnavailable && error.status === 400)) throw error;
          opened = await open(false);
        }
        for await (const chunk of opened.value) {
          if (chunk.model) model = chunk.model;
          if (chunk.usage) usage = usageOf(chunk.usage);
          const delta = chunk.choices?.[0]?.delta?.content;
          if (delta) {
            text += delta;
            yield delta;
          }
        }
        finished = true;
        settle.resolve({ text, model, usage, calls: opened.calls });
      } catch (cause) {
        const error = cause instanceof ChatModelUnavailable || request.signal?.aborted ? cause : unavailable(cause, opened?.calls ?? 1);
        settle.reject(error);
        throw error;
      } finally {
        // The caller stopped early: close the connection, and report what arrived.
        if (!finished && opened !== undefined) {
          opened.value.controller.abort();
          settle.resolve({ text, model, usage, calls: opened.calls });
        }
      }
    }

    return {
      done,
      [Symbol.asyncIterator]() {
        if (started) throw new Error("a chat stream can be read once");
        started = true;
        return deltas();
      },
    };
  }
}

function toOpenAiMessage(message: ChatMessage): OpenAI.Chat.Completions.ChatCompletionMessageParam {
  if (typeof message.content === "string") return { role: message.role, content: message.content } as OpenAI.Chat.Completions.ChatCompletionMessageParam;
  const parts = message.content.map((part) => (part.type === "text" ? { type: "text" as const, text: part.text } : { type: "image_url" as const, image_url: { url: part.imageUrl } }));
  // Only user messages may carry images; the others get their text parts joined.
  if (message.role === "user") return { role: "user", content: parts };
  return { role: message.role, content: parts.map((p) => (p.type === "text" ? p.text : "")).join("") };
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function innermost(cause: unknown): string {
  let inner = cause;
  while (inner instanceof Error && inner.cause !== undefined) inner = inner.cause;
  return inner instanceof Error ? inner.message : String(inner);
}
