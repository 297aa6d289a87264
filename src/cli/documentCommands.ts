import type { Command } from "commander";
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import type { LedgerApi, RequestOptions } from "../app/ledgerApi.js";
import type { AddDocumentRequest, AddDocumentResult } from "../documentReader/documentReaderService.js";
import { documentMediaTypes, mediaTypeOfFileName, type DocumentMediaType } from "../documentReader/documentText.js";
import { repeatable } from "./parse.js";

/** What the commands need from main.ts's program: its leaf builder and its ledger session. */
export interface DocumentCliHost {
  leaf(parent: Command, nameAndArgs: string, description: string): Command;
  withLedger(
    cmd: Command,
    work: (session: { readonly ledger: Pick<LedgerApi<RequestOptions>, "documents">; readonly ctx: RequestOptions; print<T>(value: T, format: (value: T) => string): void }) => Promise<void>,
  ): Promise<void>;
}

interface AddOptions {
  cube: string;
  mediaType?: string;
  title?: string;
  id?: string;
  user?: string;
  tag?: string[];
  sync?: boolean;
  chunkTokens?: string;
  overlapTokens?: string;
}

export const formatDocumentAdded = (result: AddDocumentResult): string => {
  const head = `document ${result.documentId} "${result.title}" (${result.mediaType}${result.pages !== undefined ? `, ${result.pages} page(s)` : ""}, ${result.characters} characters) recorded as ${result.documentMemoryId}`;
  if (result.mode === "async") return `${head}\nchunking job ${result.job.jobId} (${result.job.status}); follow it with: memledger job wait ${result.job.jobId}`;
  return [`${head}\n${result.chunks.length} chunk(s), tokens counted with ${result.tokenizer}:`, ...result.chunks.map((c) => `  ${c.memoryId}  #${c.chunkIndex + 1}  ${c.tokens} tokens  ${c.location}`)].join("\n");
};

/** The request for a file: text formats as text, PDF as base64; the media type from --media-type or the extension. */
export async function documentRequestOf(file: string, o: Omit<AddOptions, "cube">): Promise<AddDocumentRequest> {
  const mediaType = (o.mediaType ?? mediaTypeOfFileName(file)) as DocumentMediaType | undefined;
  if (mediaType === undefined || !(documentMediaTypes as readonly string[]).includes(mediaType)) {
    throw new Error(`${basename(file)}: cannot tell its media type from the extension; name it .txt, .md, .html or .pdf, or pass --media-type (${documentMediaTypes.join(", ")})`);
  }
  const bytes = await readFile(file);
  const positive = (flag: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value)) throw new Error(`${flag} must be a whole number of tokens, got ${value}`);
    return Number(value);
  };
  const chunkTokens = positive("--chunk-tokens", o.chunkTokens);
  const overlapTokens = positive("--overlap-tokens", o.overlapTokens);
  return {
    mediaType,
    ...(mediaType === "application/pdf" ? { contentBase64: bytes.toString("base64") } : { content: bytes.toString("utf8") }),
    ...(o.title !== undefined ? { title: o.title } : {}),
    ...(o.id !== undefined ? { documentId: o.id } : {}),
    ...(o.user !== undefined ? { userId: o.user } : {}),
    ...(o.tag !== undefined && o.tag.length > 0 ? { tags: o.tag } : {}),
    async: o.sync !== true,
    ...(chunkTokens !== undefined ? { chunkTokens } : {}),
    ...(overlapTokens !== undefined ? { overlapTokens } : {}),
  };
}

/** `memledger document add --cube <id> <file>`. */
export function registerDocumentCommands(program: Command, host: DocumentCliHost): void {
  const document = program.command("document").description("documents (text, Markdown, HTML, PDF) recorded whole and chunked into memories with their page and headings");
  host
    .leaf(document, "add <file>", "record a document in a cube and chunk it: as a job (default; a server or worker on the data directory runs it) or, with --sync, before returning (up to 20,000 characters)")
    .requiredOption("--cube <cubeId>", "the cube to add it to")
    .option("--media-type <type>", `default from the extension: ${documentMediaTypes.join(", ")}`)
    .option("--title <title>", "default: the title the document names, else its id")
    .option("--id <documentId>", "your id for the document (default: a new id)")
    .option("--user <userId>", "whose document it is")
    .option("--tag <tag>", "a tag for every chunk, repeatable", repeatable)
    .option("--sync", "chunk before returning instead of as a job")
    .option("--chunk-tokens <n>", "most tokens per chunk (default 250)")
    .option("--overlap-tokens <n>", "tokens shared by neighbouring chunks (default 32)")
    .action((file: string, o: AddOptions, cmd: Command) =>
      host.withLedger(cmd, async ({ ledger, ctx, print }) => {
        const { cube, ...rest } = o;
        print(await ledger.documents.add(cube, await documentRequestOf(file, rest), ctx), formatDocumentAdded);
      }),
    );
}
