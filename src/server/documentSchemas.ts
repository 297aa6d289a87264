import { documentMediaTypes } from "../documentReader/documentText.js";
import { chunkTokenBounds } from "../documentReader/chunkDocument.js";
import { jobSchema } from "./jobSchemas.js";

/** Bytes one POST /cubes/:cubeId/documents may carry: a PDF of about 9 MB once base64 adds its third. */
export const documentBodyLimitBytes = 12 * 1024 * 1024;

const text = (maxLength: number, description: string) => ({ type: "string", minLength: 1, maxLength, description }) as const;

export const addDocumentBody = {
  type: "object",
  required: ["mediaType"],
  additionalProperties: false,
  properties: {
    mediaType: { type: "string", enum: documentMediaTypes, description: "text/plain, text/markdown and text/html are sent as content; application/pdf as contentBase64" },
    content: { type: "string", minLength: 1, maxLength: documentBodyLimitBytes, description: "The document's text (text/plain, text/markdown, text/html)" },
    contentBase64: { type: "string", minLength: 1, maxLength: documentBodyLimitBytes, description: "The file's bytes in base64 (application/pdf)" },
    title: text(500, "Default: the title the document names (Markdown h1, HTML <title>, PDF Title), else the document id"),
    documentId: text(200, "Your id for the document, named by every chunk's source; default a new id"),
    userId: text(200, "Whose document this is (its chunks' userId and data subject)"),
    tags: { type: "array", maxItems: 100, items: text(100, "A tag copied onto every chunk") },
    async: { type: "boolean", default: true, description: "true: 202 with the chunking job; false: 201 once the chunks exist (documents up to 20,000 characters)" },
    chunkTokens: { type: "integer", minimum: chunkTokenBounds.min, maximum: chunkTokenBounds.max, description: "Most tokens per chunk (default 250)" },
    overlapTokens: { type: "integer", minimum: 0, maximum: chunkTokenBounds.max - 1, description: "Tokens repeated between neighbouring chunks (default 32)" },
  },
} as const;

const recordedProperties = {
  documentId: { type: "string" },
  documentMemoryId: { type: "string", description: "The raw_source unit that records the whole document text (kept generated: search returns the chunks)" },
  partMemoryIds: { type: "array", items: { type: "string" }, description: "Every part's unit, in order, when the text is longer than one unit holds (100,000 characters)" },
  title: { type: "string" },
  mediaType: { type: "string", enum: documentMediaTypes },
  characters: { type: "integer" },
  sections: { type: "integer" },
  pages: { type: "integer" },
  tokenizer: { type: "string", description: "What counted the tokens: the embedding model's tokenizer or cl100k_base" },
  mode: { type: "string", enum: ["sync", "async"] },
} as const;

const chunkSummarySchema = {
  type: "object",
  required: ["memoryId", "chunkIndex", "tokens", "location"],
  properties: {
    memoryId: { type: "string" },
    chunkIndex: { type: "integer" },
    tokens: { type: "integer" },
    location: { type: "string", description: "page, heading path and character offsets in the document's text" },
    page: { type: "integer" },
  },
} as const;

export const documentAddedSyncSchema = {
  type: "object",
  required: ["documentId", "documentMemoryId", "mode", "chunks"],
  properties: { ...recordedProperties, chunks: { type: "array", items: chunkSummarySchema }, job: jobSchema },
} as const;

export const documentAddedAsyncSchema = {
  type: "object",
  required: ["documentId", "documentMemoryId", "mode", "job"],
  properties: { ...recordedProperties, chunks: { type: "array", items: chunkSummarySchema }, job: jobSchema },
} as const;
