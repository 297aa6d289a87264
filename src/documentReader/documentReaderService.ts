import { Context, Effect, Layer } from "effect";
import { limits } from "../../domain/memory/validation.js";
import type { MemoryView } from "../../projections/memoryView.js";
import { invalidRequest, type InvalidRequest } from "../command/appErrors.js";
import type { CommandContext } from "../command/commandContext.js";
import { IdGenerator } from "../ids/idGenerator.js";
import { nameBasedId } from "../ids/nameBasedId.js";
import { Ingestion, type AddMemoriesError, type NewMemoryItem } from "../ingestion/ingestionService.js";
import type { InvalidJob, JobBusUnavailable } from "../jobs/jobBusErrors.js";
import { JobBus, type JobHandler, type JobRecord } from "../jobs/jobBusPort.js";
import { MemoryService, type MemoryReadError, type MemoryWriteError } from "../memory/memoryService.js";
import { actingFor, parseRequester, requesterOf } from "../scheduler/requester.js";
import { runForJob } from "../scheduler/runForJob.js";
import { chunkDocument, chunkTokenBounds, defaultChunkSettings, type ChunkSettings, type DocumentChunk } from "./chunkDocument.js";
import { DocumentAlreadyRecorded, DocumentTooLarge, DocumentUnreadable } from "./documentErrors.js";
import { describeLocation, documentMediaTypes, type DocumentMediaType, type DocumentSection } from "./documentText.js";
import { parseDocument } from "./parseDocument.js";
import { splitIntoParts } from "./documentParts.js";
import { tokenCounterFor, tokenCounterNameFor, type TokenCounter } from "./tokenCounter.js";

export const documentChunkJobKind = "document.chunk";

/** The most text one document may have; it is recorded in parts of at most one unit's text each. */
export const maxDocumentCharacters = 2_000_000;
/** One part of the record holds at most one unit's text. */
const partCharacters = limits.textMaxLength;
/** A sync add chunks while the caller waits: only for documents up to this many characters. */
export const maxSyncDocumentCharacters = 20_000;
/** Chunks created (and embedded) per ingestion call. */
const chunksPerBatch = 100;

export interface AddDocumentRequest {
  readonly mediaType: DocumentMediaType;
  /** The text of a text/plain, text/markdown or text/html document. */
  readonly content?: string;
  /** The bytes of a PDF, base64. */
  readonly contentBase64?: string;
  readonly title?: string;
  /** Your id for the document (sources and metadata name it); default a new id. */
  readonly documentId?: string;
  readonly userId?: string;
  readonly tags?: readonly string[];
  /** true (default): chunking runs as a job and the call returns at once; false: chunks exist on return (small documents only). */
  readonly async?: boolean;
  readonly chunkTokens?: number;
  readonly overlapTokens?: number;
}

/** A chunk as reported by a sync add. */
export interface ChunkSummary {
  readonly memoryId: string;
  readonly chunkIndex: number;
  readonly tokens: number;
  readonly location: string;
  readonly page?: number;
}

interface DocumentRecorded {
  readonly documentId: string;
  /** The unit that records the document's text (raw_source, kept generated so search returns the chunks, not the whole); its first part when there are several. */
  readonly documentMemoryId: string;
  /** Every part's unit, in order, when the text is longer than one unit holds. */
  readonly partMemoryIds?: readonly string[];
  readonly title: string;
  readonly mediaType: DocumentMediaType;
  readonly characters: number;
  readonly sections: number;
  readonly pages?: number;
  /** What counted the tokens (docs/documents.md). */
  readonly tokenizer: string;
}

export type AddDocumentResult =
  | (DocumentRecorded & { readonly mode: "sync"; readonly chunks: readonly ChunkSummary[] })
  | (DocumentRecorded & { readonly mode: "async"; readonly job: JobRecord });

export type AddDocumentError = DocumentUnreadable | DocumentTooLarge | DocumentAlreadyRecorded | InvalidRequest | MemoryWriteError | MemoryReadError | AddMemoriesError | InvalidJob | JobBusUnavailable;

export interface DocumentReaderApi {
  add(cubeId: string, request: AddDocumentRequest, ctx: CommandContext): Effect.Effect<AddDocumentResult, AddDocumentError>;
  readonly handlers: Readonly<Record<string, JobHandler>>;
}

export class DocumentReader extends Context.Tag("memledger/DocumentReader")<DocumentReader, DocumentReaderApi>() {}

export interface DocumentReaderSettings {
  /** A directory with the embedding model's tokenizer.json; without one tokens are counted with cl100k_base. */
  readonly tokenizerDir?: string;
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Chunk settings from a request, within bounds. */
function chunkSettingsOf(request: Pick<AddDocumentRequest, "chunkTokens" | "overlapTokens">): ChunkSettings | InvalidRequest {
  const chunkTokens = request.chunkTokens ?? defaultChunkSettings.chunkTokens;
  const overlapTokens = request.overlapTokens ?? defaultChunkSettings.overlapTokens;
  if (!Number.isInteger(chunkTokens) || chunkTokens < chunkTokenBounds.min || chunkTokens > chunkTokenBounds.max) {
    return invalidRequest("chunkTokens", `must be a whole number from ${chunkTokenBounds.min} to ${chunkTokenBounds.max}`);
  }
  if (!Number.isInteger(overlapTokens) || overlapTokens < 0 || overlapTokens >= chunkTokens) return invalidRequest("overlapTokens", `must be a whole number from 0 to less than chunkTokens (${chunkTokens})`);
  return { chunkTokens, overlapTokens };
}

/** The section map kept on the document record, so a job (or a rerun) chunks exactly what was recorded. */
const sectionMapOf = (sections: readonly DocumentSection[]): string => JSON.stringify(sections.map((s) => [s.start, s.end, s.page ?? null, s.headingPath]));

function sectionsFromMap(map: unknown, documentMemoryId: string): readonly DocumentSection[] {
  if (typeof map !== "string") throw new Error(`document record ${documentMemoryId} has no section map (metadata.sectionMap); it was not recorded by the document reader`);
  const rows = JSON.parse(map) as [number, number, number | null, string[]][];
  return rows.map(([start, end, page, headingPath]) => ({ start, end, ...(page !== null ? { page } : {}), headingPath }));
}

export const layerDocumentReader = (settings: DocumentReaderSettings = {}) =>
  Layer.effect(
    DocumentReader,
    Effect.gen(function* () {
      const memories = yield* MemoryService;
      const ingestion = yield* Ingestion;
      const bus = yield* JobBus;
      const ids = yield* IdGenerator;
      const runtime = yield* Effect.runtime<never>();
      const run = runForJob(runtime);
      // Loading a tokenizer reads a few MB of JSON: once, on first use.
      let counter: TokenCounter | undefined;
      const tokens = () => (counter ??= tokenCounterFor(settings.tokenizerDir));

      /** Chunks of a recorded document (its parts in order), each an ingested unit whose command and memory ids derive from the job: a rerun changes nothing. */
      const chunkRecorded = (partUnits: readonly MemoryView[], chunkSettings: ChunkSettings, jobId: string, ctx: CommandContext) =>
        Effect.gen(function* () {
          const automated: CommandContext = { ...ctx, automation: { component: "documentReader", jobId } };
          const created: ChunkSummary[] = [];
          let nextIndex = 0;
          for (const [partIndex, documentUnit] of partUnits.entries()) {
            const content = documentUnit.content;
            if (content === undefined || content === null) return yield* Effect.fail(invalidRequest("documentMemoryId", `document record ${documentUnit.memoryId} was erased; there is nothing to chunk`));
            const metadata = content.metadata;
            const documentId = String(metadata.documentId ?? documentUnit.memoryId);
            const title = String(metadata.documentTitle ?? content.key ?? documentId);
            const partOffset = typeof metadata.partOffset === "number" ? metadata.partOffset : 0;
            const sections = sectionsFromMap(metadata.sectionMap, documentUnit.memoryId);
            const local = yield* Effect.tryPromise({ try: () => chunkDocument({ text: content.text, sections }, chunkSettings, tokens()), catch: (cause) => cause as Error }).pipe(Effect.orDie);
            // Indexes run on across parts; offsets are in the whole document's text.
            const chunks = local.map((chunk) => ({ ...chunk, index: nextIndex + chunk.index, start: partOffset + chunk.start, end: partOffset + chunk.end }));
            nextIndex += local.length;
            const items = chunks.map((chunk) => chunkItem(chunk, { ...ctx, jobId, documentId, title, documentUnit }));
            for (let from = 0; from < items.length; from += chunksPerBatch) {
              const result = yield* ingestion.add(documentUnit.cubeId, { memories: items.slice(from, from + chunksPerBatch), mode: "sync" }, { ...automated, commandId: `job:${jobId}:chunks:${partIndex}:${from}` });
              if (result.mode !== "sync") continue;
              result.memories.forEach((view, i) => {
                const chunk = chunks[from + i]!;
                created.push({ memoryId: view.memoryId, chunkIndex: chunk.index, tokens: chunk.tokens, location: describeLocation(chunk), ...(chunk.page !== undefined ? { page: chunk.page } : {}) });
              });
            }
          }
          return created;
        });

      const chunkItem = (
        chunk: DocumentChunk,
        of: CommandContext & { readonly jobId: string; readonly documentId: string; readonly title: string; readonly documentUnit: MemoryView },
      ): NewMemoryItem & { memoryId: string } => {
        const content = of.documentUnit.content!;
        return {
          memoryId: nameBasedId(`${of.tenantId}:${of.documentUnit.cubeId}:job:${of.jobId}:chunk:${chunk.index}`),
          text: chunk.text,
          key: `${of.title.slice(0, limits.keyMaxLength - 20)} #${chunk.index + 1}`,
          tags: content.tags,
          ...(content.userId !== undefined ? { userId: content.userId } : {}),
          memoryType: "raw_source",
          sources: [{ kind: "document", ref: of.documentId, note: describeLocation(chunk) }],
          metadata: {
            documentId: of.documentId,
            documentTitle: of.title,
            documentMemoryId: of.documentUnit.memoryId,
            documentRole: "chunk",
            chunkIndex: chunk.index,
            page: chunk.page ?? null,
            headingPath: chunk.headingPath.join(" > "),
            charStart: chunk.start,
            charEnd: chunk.end,
            tokens: chunk.tokens,
          },
        };
      };

      const add: DocumentReaderApi["add"] = (cubeId, request, ctx) =>
        Effect.gen(function* () {
          if (!(documentMediaTypes as readonly string[]).includes(request.mediaType)) return yield* Effect.fail(invalidRequest("mediaType", `must be one of ${documentMediaTypes.join(", ")}`));
          const chunkSettings = chunkSettingsOf(request);
          if ("_tag" in chunkSettings) return yield* Effect.fail(chunkSettings);
          const body = request.contentBase64 !== undefined ? { contentBase64: request.contentBase64 } : { content: request.content ?? "" };
          // Parsing first: a document that cannot be read is refused before anything is written.
          const parsed = yield* Effect.tryPromise({
            try: () => parseDocument(request.mediaType, body),
            catch: (error) => (error instanceof DocumentUnreadable ? error : new DocumentUnreadable({ mediaType: request.mediaType, message: describe(error) })),
          });
          if (parsed.text.length > maxDocumentCharacters) {
            return yield* Effect.fail(new DocumentTooLarge({ limit: "maxCharacters", maximum: maxDocumentCharacters, actual: parsed.text.length, message: `the document's text is ${parsed.text.length} characters; one document may have at most ${maxDocumentCharacters}; split it into several documents (by chapter or page range)` }));
          }
          const async = request.async ?? true;
          if (!async && parsed.text.length > maxSyncDocumentCharacters) {
            return yield* Effect.fail(new DocumentTooLarge({ limit: "maxSyncCharacters", maximum: maxSyncDocumentCharacters, actual: parsed.text.length, message: `the document's text is ${parsed.text.length} characters; a sync add chunks at most ${maxSyncDocumentCharacters}; send it with "async": true (202 with a job to wait on)` }));
          }
          const key = ctx.commandId;
          const documentId = request.documentId ?? (key ? nameBasedId(`${ctx.tenantId}:${cubeId}:${key}:documentId`) : ids.newId());
          const title = (request.title ?? parsed.title ?? documentId).slice(0, limits.keyMaxLength);
          const correlationId = ctx.correlationId ?? ids.newId();
          const parts = splitIntoParts(parsed, partCharacters);
          const partMemoryId = (index: number) => nameBasedId(`${ctx.tenantId}:${cubeId}:document:${documentId}${index === 0 ? "" : `:part:${index}`}`);
          // A document id names one document per cube; only a retry of the same request (its Idempotency-Key) may meet its own record.
          const existing = yield* Effect.either(memories.history(partMemoryId(0)));
          if (existing._tag === "Right" && existing.right.length > 0 && (key === undefined || existing.right[0]!.commandId !== `${key}:document:0`)) {
            return yield* Effect.fail(
              new DocumentAlreadyRecorded({
                documentId,
                cubeId,
                documentMemoryId: partMemoryId(0),
                message: `document ${documentId} is already recorded in cube ${cubeId} (unit ${partMemoryId(0)}, recorded ${existing.right[0]!.recordedAt}); give the new one another documentId, or leave documentId out for a fresh one`,
              }),
            );
          }
          // The document first, whole (in parts when long): if chunking fails later, nothing is lost and the job can rerun from it.
          const partUnits: MemoryView[] = [];
          for (const part of parts) {
            partUnits.push(
              yield* memories.create(
                {
                  cubeId,
                  memoryId: partMemoryId(part.index),
                  text: part.text,
                  key: parts.length === 1 ? title : `${title.slice(0, limits.keyMaxLength - 24)} (part ${part.index + 1}/${parts.length})`,
                  tags: request.tags ?? [],
                  ...(request.userId !== undefined ? { userId: request.userId } : {}),
                  memoryType: "raw_source",
                  sources: [{ kind: "document", ref: documentId, note: `${request.mediaType}${parsed.pages !== undefined ? `, ${parsed.pages} page(s)` : ""}, ${parsed.text.length} characters${parts.length > 1 ? `; part ${part.index + 1} of ${parts.length}, characters ${part.offset}-${part.offset + part.text.length}` : ""}` }],
                  metadata: {
                    documentId,
                    documentTitle: title,
                    documentRole: "document",
                    mediaType: request.mediaType,
                    pages: parsed.pages ?? null,
                    partIndex: part.index,
                    parts: parts.length,
                    partOffset: part.offset,
                    sectionMap: sectionMapOf(part.sections),
                  },
                  activate: false,
                },
                { ...ctx, correlationId, ...(key ? { commandId: `${key}:document:${part.index}` } : {}) },
              ),
            );
          }
          const documentMemoryId = partUnits[0]!.memoryId;
          const partMemoryIds = partUnits.map((unit) => unit.memoryId);
          const recorded: DocumentRecorded = {
            documentId,
            documentMemoryId,
            ...(parts.length > 1 ? { partMemoryIds } : {}),
            title,
            mediaType: request.mediaType,
            characters: parsed.text.length,
            sections: parsed.sections.length,
            ...(parsed.pages !== undefined ? { pages: parsed.pages } : {}),
            tokenizer: tokenCounterNameFor(settings.tokenizerDir),
          };
          if (!async) {
            const chunks = yield* chunkRecorded(partUnits, chunkSettings, `sync-${key ?? correlationId}`, { ...ctx, correlationId });
            return { ...recorded, mode: "sync" as const, chunks };
          }
          const payload = { ...requesterOf({ ...ctx, correlationId }, correlationId), documentMemoryId, partMemoryIds, chunkTokens: chunkSettings.chunkTokens, overlapTokens: chunkSettings.overlapTokens };
          const { job } = yield* bus.enqueue({ kind: documentChunkJobKind, key: cubeId, cubeId, payload, idempotencyKey: `document:${documentMemoryId}` });
          return { ...recorded, mode: "async" as const, job };
        });

      const chunkHandler: JobHandler = (job, context) =>
        run(
          Effect.gen(function* () {
            const { fields, ...requester } = parseRequester(job.payload, job);
            const documentMemoryId = fields.documentMemoryId;
            if (typeof documentMemoryId !== "string" || documentMemoryId === "") throw new Error(`job ${job.jobId} has a malformed ${documentChunkJobKind} payload: documentMemoryId must name the document record`);
            const listed = fields.partMemoryIds;
            const partMemoryIds = Array.isArray(listed) && listed.every((id): id is string => typeof id === "string" && id !== "") && listed.length > 0 ? listed : [documentMemoryId];
            const chunkSettings = chunkSettingsOf({ chunkTokens: Number(fields.chunkTokens), overlapTokens: Number(fields.overlapTokens) });
            if ("_tag" in chunkSettings) return yield* Effect.fail(chunkSettings);
            const ctx = actingFor(requester, job, "system:documentReader", "document chunking");
            const partUnits = yield* Effect.forEach(partMemoryIds, (id) => memories.get(id));
            const outcome = yield* Effect.either(chunkRecorded(partUnits, chunkSettings, job.jobId, ctx));
            if (outcome._tag === "Right") return { documentMemoryId, chunkMemoryIds: outcome.right.map((chunk) => chunk.memoryId) };
            // Recorded on the document (it stays as it was, whole), then rethrown so the job retries or goes dead.
            const error = `chunking: ${describe(outcome.left)}`;
            yield* memories
              .recordProcessingFailure(documentMemoryId, { jobId: job.jobId, attempt: context.attempt, error, willRetry: context.attempt < job.maxAttempts }, { ...ctx, commandId: `job:${job.jobId}:failed:${context.attempt}` })
              .pipe(Effect.ignore);
            return yield* Effect.fail(outcome.left);
          }),
        );

      return { add, handlers: { [documentChunkJobKind]: chunkHandler } };
    }),
  );
