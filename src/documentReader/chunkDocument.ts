import { RecursiveCharacterTextSplitter } from "@langchain/textsplitters";
import type { DocumentSection, DocumentText } from "./documentText.js";
import type { TokenCounter } from "./tokenCounter.js";

export interface ChunkSettings {
  /** Most tokens in one chunk (by the token counter); default 250: MiniLM's 256-token window less room for its [CLS] and [SEP]. */
  readonly chunkTokens: number;
  /** Tokens repeated from the end of one chunk at the start of the next; default 32. */
  readonly overlapTokens: number;
}

export const defaultChunkSettings: ChunkSettings = { chunkTokens: 250, overlapTokens: 32 };
export const chunkTokenBounds = { min: 16, max: 8_192 } as const;

/** One chunk and where it sits: offsets in the document's text (end exclusive), its page and headings. */
export interface DocumentChunk {
  readonly index: number;
  readonly text: string;
  readonly tokens: number;
  readonly start: number;
  readonly end: number;
  readonly page?: number;
  readonly headingPath: readonly string[];
}

/**
 * Splits each section on its own (a chunk never spans two pages or two
 * headings, so its location is exact) with LangChain's recursive splitter
 * (paragraphs, then lines, then words, then characters), measuring length in
 * tokens. Every chunk is a verbatim stretch of the document's text.
 */
export async function chunkDocument(document: DocumentText, settings: ChunkSettings, counter: TokenCounter): Promise<readonly DocumentChunk[]> {
  const splitter = new RecursiveCharacterTextSplitter({
    chunkSize: settings.chunkTokens,
    chunkOverlap: Math.min(settings.overlapTokens, Math.floor(settings.chunkTokens / 2)),
    lengthFunction: (text: string) => counter.count(text),
  });
  const chunks: DocumentChunk[] = [];
  for (const section of document.sections) {
    const sectionText = document.text.slice(section.start, section.end);
    const pieces = await splitter.splitText(sectionText);
    let searchFrom = 0;
    for (const piece of pieces) {
      const trimmed = piece.trim();
      if (trimmed === "") continue;
      for (const text of withinLimit(trimmed, settings.chunkTokens, counter)) {
        const at = locate(sectionText, text, searchFrom);
        searchFrom = at + 1;
        chunks.push(chunkAt(chunks.length, text, section, at, counter));
      }
    }
  }
  return chunks;
}

/**
 * The splitter adds up the token counts of the pieces it joins, but tokens are not additive across a join
 * ("…istic" + " :#%" can tokenise to one more than the two apart), so a merged piece can pass the limit by a
 * token or two. Such a piece is cut again, greedily at word boundaries measuring the real joined text (by
 * characters inside a single over-long word), into verbatim slices that each fit.
 */
function withinLimit(text: string, limit: number, counter: TokenCounter): readonly string[] {
  if (counter.count(text) <= limit) return [text];
  const slices: string[] = [];
  let start = 0;
  while (start < text.length) {
    while (start < text.length && /\s/.test(text[start]!)) start += 1;
    if (start >= text.length) break;
    let end = -1;
    const word = /\S+/g;
    word.lastIndex = start;
    for (let m = word.exec(text); m !== null; m = word.exec(text)) {
      const candidate = m.index + m[0].length;
      if (counter.count(text.slice(start, candidate)) > limit) break;
      end = candidate;
    }
    if (end === -1) {
      end = start + 1;
      while (end < text.length && !/\s/.test(text[end]!) && counter.count(text.slice(start, end + 1)) <= limit) end += 1;
    }
    slices.push(text.slice(start, end));
    start = end;
  }
  return slices;
}

/** Where the splitter's piece starts in the section: it is a verbatim slice, found from after the previous piece's start. */
function locate(sectionText: string, text: string, from: number): number {
  const at = sectionText.indexOf(text, from);
  if (at >= 0) return at;
  const anywhere = sectionText.indexOf(text);
  if (anywhere >= 0) return anywhere;
  throw new Error(`a chunk is not a verbatim slice of its section (text starting ${JSON.stringify(text.slice(0, 40))}); this is a bug in the chunker`);
}

function chunkAt(index: number, text: string, section: DocumentSection, at: number, counter: TokenCounter): DocumentChunk {
  const start = section.start + at;
  return {
    index,
    text,
    tokens: counter.count(text),
    start,
    end: start + text.length,
    ...(section.page !== undefined ? { page: section.page } : {}),
    headingPath: section.headingPath,
  };
}
