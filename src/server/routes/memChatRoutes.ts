import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { MemLedger } from "../../app/memLedger.js";
import { chatCompletionBody, memChatLimits, type ChatCompletionRequest, type MemChatOptions } from "../../memChat/chatCompletionRequest.js";
import { chatCompletion, chatCompletionChunk, chatCompletionChunkSchema, chatCompletionSchema, completionId, memChatReport, openAiUsage, sseDone, sseFrame } from "../../memChat/chatCompletionResponse.js";
import { completeMemChat, prepareMemChat, rememberTurns, streamMemChat, type MemChatDeps } from "../../memChat/memChat.js";
import { openAiErrorSchema, toOpenAiError } from "../../memChat/openAiErrorShape.js";
import { invalidRequest } from "../../command/appErrors.js";
import { sendError } from "../errorResponses.js";
import { requestOptions } from "../requestContext.js";
import type { RequestOptions } from "../../app/ledgerApi.js";

/**
 * mem_chat (docs/memchat.md): OpenAI's chat completions, answered with the
 * caller's memories. Errors of this route are in OpenAI's shape, except a 401
 * or 429, which authentication and the rate limit answer for every route.
 */
export function memChatRoutes(app: FastifyInstance, ledger: MemLedger): void {
  app.post<{ Body: ChatCompletionRequest }>(
    "/v1/chat/completions",
    {
      schema: {
        tags: ["memories"],
        summary:
          "OpenAI-compatible chat completions with memory: the caller's memories for the conversation are injected with their ids, the configured chat model answers (stream: true streams Server-Sent Events), the answer names the memories used (memledger.memoryIds, x-memledger-memory-ids); memledger.remember sends the new turns to MemReader. Errors in OpenAI's shape",
        body: chatCompletionBody,
        headers: memChatHeaders,
        response: {
          200: {
            description: "the answer (application/json), or with stream: true chat.completion.chunk events (text/event-stream) ending in data: [DONE]",
            content: { "application/json": { schema: chatCompletionSchema }, "text/event-stream": { schema: chatCompletionChunkSchema } },
          },
          400: openAiErrorSchema,
          403: openAiErrorSchema,
          404: openAiErrorSchema,
          409: openAiErrorSchema,
          410: openAiErrorSchema,
          413: openAiErrorSchema,
          415: openAiErrorSchema,
          502: openAiErrorSchema,
          503: openAiErrorSchema,
        },
      },
      errorHandler: (error, request, reply) => sendOpenAiError(error, request, reply),
    },
    async (request, reply) => {
      const options = { ...memChatOptionsFromHeaders(request), ...(request.body.memledger ?? {}) };
      // The chat's own session (memledger.sessionId) is the session its search states: that session's `session` units are found.
      const inSession = options.sessionId !== undefined && request.acting !== null && options.sessionId !== request.acting.sessionId;
      const reader = inSession ? ledger.as({ ...request.acting!, sessionId: options.sessionId! }) : request.ledger;
      const deps: MemChatDeps<RequestOptions> = { ledger: reader, chatModel: await ledger.chatModel(), ctx: requestOptions(request) };
      const prepared = await prepareMemChat(deps, request.body, options);
      const id = completionId();
      const created = Math.floor(Date.now() / 1000);
      const memoryIdsHeader = prepared.memories.map((m) => m.memoryId).join(",");
      // The model call stops when the client goes away (the response closes before it was ended).
      const abort = new AbortController();
      reply.raw.once("close", () => {
        if (!reply.raw.writableEnded) abort.abort();
      });
      if (request.body.stream !== true) {
        const answer = await completeMemChat(prepared, abort.signal);
        const remember = await rememberTurns(deps, prepared, answer.text);
        return reply.header("x-memledger-memory-ids", memoryIdsHeader).send(chatCompletion(id, created, answer, memChatReport(prepared, remember)));
      }
      const stream = streamMemChat(prepared, abort.signal);
      const iterator = stream[Symbol.asyncIterator]();
      // The first delta is awaited before the 200 is sent, so an upstream that is down is still a JSON 503.
      const first = await iterator.next();
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache, no-transform",
        "x-accel-buffering": "no",
        "x-memledger-memory-ids": memoryIdsHeader,
      });
      const model = prepared.chatModel.model;
      try {
        raw.write(sseFrame(chatCompletionChunk(id, created, model, { delta: { role: "assistant", content: "" }, finishReason: null })));
        for (let next = first; next.done !== true; next = await iterator.next()) {
          if (next.value !== "") raw.write(sseFrame(chatCompletionChunk(id, created, model, { delta: { content: next.value }, finishReason: null })));
        }
        const done = await stream.done;
        const remember = await rememberTurns(deps, prepared, done.text);
        raw.write(sseFrame(chatCompletionChunk(id, created, done.model, { delta: {}, finishReason: "stop" }, { memledger: memChatReport(prepared, remember) })));
        if (request.body.stream_options?.include_usage === true) raw.write(sseFrame(chatCompletionChunk(id, created, done.model, undefined, { usage: openAiUsage(done.usage) })));
        raw.write(sseDone);
      } catch (error) {
        // Once the stream is open only events can be sent: the error goes as one, in OpenAI's shape.
        request.log.error({ err: error }, "mem_chat stream failed");
        if (!raw.destroyed) raw.write(sseFrame(errorBodyOf(error, request)));
      } finally {
        if (!raw.destroyed && !raw.writableEnded) raw.end();
      }
    },
  );
}

// Headers stay well inside Node's 16 KB for all of a request's headers (a longer one would be a 431 before any route ran).
const headerText = (description: string, maxLength: number = memChatLimits.idLength) => ({ type: "string", maxLength, description }) as const;

/** The memledger options as headers (documented in the OpenAPI document; parsed by memChatOptionsFromHeaders). */
const memChatHeaders = {
  type: "object",
  properties: {
    "x-memledger-cube-ids": headerText("the cubes searched, comma-separated (as memledger.cubeIds; for longer lists use the body)", 4_000),
    "x-memledger-limit": { type: "string", pattern: "^[0-9]{1,2}$", description: `memories injected at most, 0 to ${memChatLimits.maxMemories} (as memledger.limit)` },
    "x-memledger-remember": { type: "string", enum: ["true", "false"], description: "true: send the new turns to MemReader (as memledger.remember)" },
    "x-memledger-remember-cube-id": headerText("the cube remembered into (as memledger.rememberCubeId)"),
    "x-memledger-user-id": headerText("the user the remembered turns are about (as memledger.userId)"),
    "x-memledger-session-id": headerText("the session of the remembered turns (as memledger.sessionId)"),
  },
} as const;

const header = (request: FastifyRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
};

/**
 * The memledger options as headers, for clients that cannot add a body field:
 * x-memledger-cube-ids (comma-separated), x-memledger-limit, x-memledger-remember
 * (true/false), x-memledger-remember-cube-id, x-memledger-user-id,
 * x-memledger-session-id. The body's `memledger` field wins field by field.
 */
export function memChatOptionsFromHeaders(request: FastifyRequest): MemChatOptions {
  const cubeIds = header(request, "x-memledger-cube-ids")?.split(",").map((id) => id.trim()).filter((id) => id !== "");
  const limitText = header(request, "x-memledger-limit");
  const rememberText = header(request, "x-memledger-remember");
  const rememberCubeId = header(request, "x-memledger-remember-cube-id");
  const userId = header(request, "x-memledger-user-id");
  const sessionId = header(request, "x-memledger-session-id");
  let limit: number | undefined;
  if (limitText !== undefined) {
    limit = Number(limitText);
    if (!Number.isInteger(limit) || limit < 0 || limit > memChatLimits.maxMemories) throw invalidRequest("x-memledger-limit", `must be an integer from 0 to ${memChatLimits.maxMemories}`);
  }
  if (rememberText !== undefined && rememberText !== "true" && rememberText !== "false") throw invalidRequest("x-memledger-remember", "must be true or false");
  for (const [name, value] of [["x-memledger-remember-cube-id", rememberCubeId], ["x-memledger-user-id", userId], ["x-memledger-session-id", sessionId]] as const) {
    if (value !== undefined && value.length > memChatLimits.idLength) throw invalidRequest(name, `must be at most ${memChatLimits.idLength} characters`);
  }
  if (cubeIds !== undefined && (cubeIds.length === 0 || cubeIds.length > 50 || cubeIds.some((id) => id.length > memChatLimits.idLength))) {
    throw invalidRequest("x-memledger-cube-ids", `must name 1 to 50 cube ids, comma-separated`);
  }
  return {
    ...(cubeIds !== undefined ? { cubeIds } : {}),
    ...(limit !== undefined ? { limit } : {}),
    ...(rememberText !== undefined ? { remember: rememberText === "true" } : {}),
    ...(rememberCubeId !== undefined ? { rememberCubeId } : {}),
    ...(userId !== undefined ? { userId } : {}),
    ...(sessionId !== undefined ? { sessionId } : {}),
  };
}

/** What sendError would answer: its status, headers and memledger body, caught instead of sent. */
function capture(error: unknown, request: FastifyRequest, reply: FastifyReply): { status: number; body: unknown } {
  const caught = { status: 500, body: undefined as unknown };
  const recorder = {
    status(code: number) {
      caught.status = code;
      return recorder;
    },
    code(code: number) {
      caught.status = code;
      return recorder;
    },
    header(name: string, value: string) {
      reply.header(name, value);
      return recorder;
    },
    send(body: unknown) {
      caught.body = body;
      return reply;
    },
  };
  sendError(error, request, recorder as unknown as FastifyReply);
  return caught;
}

function errorBodyOf(error: unknown, request: FastifyRequest) {
  const { status, body } = capture(error, request, { header: () => undefined } as unknown as FastifyReply);
  return toOpenAiError(status, body);
}

/** Every refusal of this route in OpenAI's shape; authentication's 401 keeps memledger's (one shape for every route's 401). */
function sendOpenAiError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if ((error as { _tag?: unknown })?._tag === "Unauthenticated") return sendError(error, request, reply);
  const { status, body } = capture(error, request, reply);
  return reply.status(status).send(toOpenAiError(status, body));
}
