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
      const text = piece.trim();
      if (text === "") continue;
      const at = locate(sectionText, text, searchFrom);
      searchFrom = at + 1;
      chunks.push(chunkAt(chunks.length, text, section, at, counter));
    }
  }
  return chunks;
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
