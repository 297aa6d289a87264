import { jobSchema } from "./jobSchemas.js";
import { memoryViewSchema } from "./schemas.js";
import { maxMessagesPerCall } from "../memReader/addMessagesValidation.js";
import { messageRoles, readerModes } from "../memReader/conversationMessage.js";

const id = { type: "string", minLength: 1, maxLength: 200 } as const;
const time = { type: "string", format: "date-time", description: "ISO-8601 time the turn was said" } as const;

const imagePart = {
  type: "object",
  required: ["type"],
  additionalProperties: false,
  properties: {
    type: { type: "string", enum: ["image"] },
    url: { type: "string", minLength: 1, maxLength: 4_000, description: "where the image is (http(s) or data: URL)" },
    ref: { type: "string", minLength: 1, maxLength: 1_000, description: "a reference the caller resolves (blob id, file name)" },
    caption: { type: "string", maxLength: 10_000 },
  },
  anyOf: [{ required: ["url"] }, { required: ["ref"] }],
} as const;

const textPart = { type: "object", required: ["type", "text"], additionalProperties: false, properties: { type: { type: "string", enum: ["text"] }, text: { type: "string", maxLength: 100_000 } } } as const;

const toolCall = {
  type: "object",
  required: ["tool", "arguments", "result", "outcome"],
  additionalProperties: false,
  properties: {
    tool: { type: "string", minLength: 1, maxLength: 90, description: "the tool's name; the unit is tagged tool:<name>" },
    arguments: { description: "the call's arguments (any JSON)" },
    result: { description: "the tool's answer (any JSON, or text)" },
    outcome: { type: "string", enum: ["success", "error"] },
  },
} as const;

export const addMessagesBody = {
  type: "object",
  required: ["messages"],
  additionalProperties: false,
  properties: {
    messages: {
      type: "array",
      minItems: 1,
      maxItems: maxMessagesPerCall,
      items: {
        type: "object",
        required: ["role"],
        additionalProperties: false,
        properties: {
          role: { type: "string", enum: [...messageRoles] },
          speaker: { type: "string", minLength: 1, maxLength: 200 },
          content: { type: "string", maxLength: 100_000 },
          parts: { type: "array", maxItems: 50, items: { oneOf: [textPart, imagePart] } },
          at: time,
          messageId: id,
          sessionId: id,
          toolCall,
        },
      },
    },
    userId: id,
    sessionId: id,
    mode: { type: "string", enum: [...readerModes], default: "fast", description: "fast: windows of turns, no model; fine: a chat model extracts facts, events, preferences and persona (409 when none is configured)" },
    async: { type: "boolean", default: true, description: "true: answer 202 with the job at once; false: extract before answering (201)" },
  },
} as const;

const rawIds = { type: "array", items: { type: "string" }, description: "the raw_source unit of each turn, in order" } as const;

/** Both answers in one shape (202: the job; 201 with async false: the units and the report), so neither loses a field when serialized. */
export const addMessagesAnswerSchema = {
  type: "object",
  required: ["mode", "async", "rawMemoryIds"],
  properties: {
    mode: { type: "string" },
    async: { type: "boolean" },
    rawMemoryIds: rawIds,
    job: jobSchema,
    memories: { type: "array", items: memoryViewSchema },
    report: { type: "object", additionalProperties: true, properties: { turns: { type: "integer" }, memoryIds: { type: "array", items: { type: "string" } } } },
  },
} as const;
