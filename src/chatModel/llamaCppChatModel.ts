import { existsSync } from "node:fs";
import { basename } from "node:path";
import type { ChatAnswer, ChatMessage, ChatModelPort, ChatRequest, ChatStream, JsonSchemaObject, StructuredAnswer, StructuredRequest } from "./chatModelPort.js";
import { ChatModelUnavailable } from "./chatModelErrors.js";
import { completeWithRepair, defaultRepairRounds } from "./structuredAnswer.js";
import { pricedUsage } from "./tokenUsage.js";

type NodeLlamaCpp = typeof import("node-llama-cpp");
type Llama = Awaited<ReturnType<NodeLlamaCpp["getLlama"]>>;
type Grammar = Awaited<ReturnType<Llama["createGrammarForJsonSchema"]>>;

export interface LlamaCppChatModelOptions {
  /** A GGUF file, e.g. .cache/models/SmolLM2-135M-Instruct/SmolLM2-135M-Instruct.Q4_1.gguf (scripts/fetch-chat-model.sh). */
  readonly modelPath: string;
  /** The name answers carry; default: the file name without .gguf. */
  readonly modelName?: string;
  /** Tokens of context (prompt + answer); default 2,048. */
  readonly contextSize?: number;
  /** CPU threads; default: what node-llama-cpp picks. */
  readonly threads?: number;
  /** Repair rounds after an answer that does not validate (default 2; rare here, the grammar enforces the schema). */
  readonly repairRounds?: number;
}

export interface LlamaCppChatModel extends ChatModelPort {
  /** Frees the model and its context. */
  close(): Promise<void>;
}

/**
 * The ChatModelPort in process, over llama.cpp (node-llama-cpp, an optional
 * dependency): no server, no network, CPU only. Structured answers are
 * constrained while decoding by a grammar built from the JSON schema, then
 * validated like any other adapter's. One context sequence, so calls run one
 * at a time (a queue): this is for smoke tests, demos and small local models,
 * not for serving many users.
 */
export async function openLlamaCppChatModel(options: LlamaCppChatModelOptions): Promise<LlamaCppChatModel> {
  const modelName = options.modelName ?? basename(options.modelPath).replace(/\.gguf$/i, "");
  const unavailable = (message: string, cause?: unknown) => new ChatModelUnavailable({ model: modelName, endpoint: `llama.cpp in process (${options.modelPath})`, calls: 1, message }, { cause });
  if (!existsSync(options.modelPath)) throw unavailable(`no GGUF model at ${options.modelPath}: run scripts/fetch-chat-model.sh, or give the path of a GGUF file`);
  let binding: NodeLlamaCpp;
  try {
    binding = await import("node-llama-cpp");
  } catch (cause) {
    throw unavailable("node-llama-cpp is not installed (it is an optional dependency): run npm install node-llama-cpp@3.21.1", cause);
  }
  const llama = await binding.getLlama({ gpu: false, build: "never", logLevel: binding.LlamaLogLevel.error, ...(options.threads ? { maxThreads: options.threads } : {}) });
  const model = await llama.loadModel({ modelPath: options.modelPath });
  const context = await model.createContext({ contextSize: options.contextSize ?? 2048, ...(options.threads ? { threads: options.threads } : {}) });
  const sequence = context.getSequence();
  const grammars = new WeakMap<JsonSchemaObject, Grammar | null>();
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;

  /** One call at a time on the one sequence; each starts from an empty history. */
  function exclusive<T>(run: () => Promise<T>): Promise<T> {
    const next = queue.then(run, run);
    queue = next.catch(() => undefined);
    return next;
  }

  async function grammarFor(schema: JsonSchemaObject): Promise<Grammar | null> {
    if (grammars.has(schema)) return grammars.get(schema)!;
    let grammar: Grammar | null;
    try {
      grammar = await llama.createGrammarForJsonSchema(schema as never);
    } catch {
      // A schema the grammar builder does not support: the model is told the schema instead, and validation decides.
      grammar = null;
    }
    grammars.set(schema, grammar);
    return grammar;
  }

  function generate(request: ChatRequest, messages: readonly ChatMessage[], extra: { grammar?: Grammar | null; onTextChunk?: (text: string) => void }): Promise<ChatAnswer> {
    return exclusive(async () => {
      if (closed) throw unavailable("the llama.cpp chat model was closed; open a new one with openLlamaCppChatModel");
      await sequence.clearHistory();
      const before = { input: sequence.tokenMeter.usedInputTokens, output: sequence.tokenMeter.usedOutputTokens };
      const session = new binding.LlamaChatSession({ contextSequence: sequence, autoDisposeSequence: false });
      try {
        const last = messages.at(-1);
        const history = (last?.role === "user" ? messages.slice(0, -1) : messages).map(toHistoryItem);
        session.setChatHistory(history);
        const text = await session.prompt(last?.role === "user" ? textOf(last.content) : "", {
          ...(request.maxTokens !== undefined ? { maxTokens: request.maxTokens } : {}),
          ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
          ...(request.signal ? { signal: request.signal, stopOnAbortSignal: true } : {}),
          ...(extra.grammar ? { grammar: extra.grammar } : {}),
          ...(extra.onTextChunk ? { onTextChunk: extra.onTextChunk } : {}),
        });
        const usage = pricedUsage(sequence.tokenMeter.usedInputTokens - before.input, sequence.tokenMeter.usedOutputTokens - before.output, undefined);
        return { text, model: modelName, usage, calls: 1 };
      } catch (cause) {
        if (request.signal?.aborted) throw cause;
        throw unavailable(`llama.cpp failed to answer with ${modelName}: ${cause instanceof Error ? cause.message : String(cause)}`, cause);
      } finally {
        session.dispose({ disposeSequence: false });
      }
    });
  }

  const port: LlamaCppChatModel = {
    model: modelName,
    complete: (request) => generate(request, request.messages, {}),
    async completeStructured<T>(request: StructuredRequest): Promise<StructuredAnswer<T>> {
      const grammar = await grammarFor(request.schema);
      const schemaNote: ChatMessage = { role: "system", content: `Answer with only a JSON object that matches this JSON schema (named "${request.schemaName}"):\n${JSON.stringify(request.schema)}` };
      return completeWithRepair<T>(request, options.repairRounds ?? defaultRepairRounds, modelName, (messages) => generate(request, grammar ? messages : [schemaNote, ...messages], { grammar }));
    },
    stream(request): ChatStream {
      // The chunks arrive by callback; a small queue turns them into an async iterator.
      const pending: string[] = [];
      let wake: (() => void) | undefined;
      let ended = false;
      const done = generate(request, request.messages, {
        onTextChunk: (chunk) => {
          if (chunk === "") return;
          pending.push(chunk);
          wake?.();
        },
      }).finally(() => {
        ended = true;
        wake?.();
      });
      done.catch(() => undefined);
      return {
        done,
        async *[Symbol.asyncIterator]() {
          for (;;) {
            if (pending.length > 0) yield pending.shift()!;
            else if (ended) break;
            else await new Promise<void>((resolve) => (wake = resolve));
          }
          await done; // rethrows the failure, if any
        },
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      await queue;
      await context.dispose();
      await model.dispose();
      await llama.dispose();
    },
  };
  return port;
}

function textOf(content: ChatMessage["content"]): string {
  // A text-only model: image parts are left out (their captions travel as text parts).
  return typeof content === "string" ? content : content.map((p) => (p.type === "text" ? p.text : "")).join("");
}

function toHistoryItem(message: ChatMessage): { type: "system"; text: string } | { type: "user"; text: string } | { type: "model"; response: string[] } {
  const text = textOf(message.content);
  if (message.role === "system") return { type: "system", text };
  if (message.role === "user") return { type: "user", text };
  return { type: "model", response: [text] };
}
