import type { DocumentSection, DocumentText } from "./documentText.js";

/** One stored piece of a long document: its text, its sections (offsets in the part), and where it starts in the whole text. */
export interface DocumentPart extends DocumentText {
  readonly index: number;
  /** Offset of the part's first character in the whole document's text. */
  readonly offset: number;
}

/**
 * Splits a document's text into parts of at most `maxCharacters` (one unit's
 * text limit), at section boundaries where it can, else at a line or space
 * inside a long section. Parts are contiguous: joining them with the blank
 * line that separated them gives the whole text back, and a part's offset maps
 * its positions to the whole's.
 */
export function splitIntoParts(document: DocumentText, maxCharacters: number): readonly DocumentPart[] {
  const pieces: DocumentSection[] = document.sections.flatMap((section) => cutSection(document.text, section, maxCharacters));
  const parts: DocumentPart[] = [];
  let current: DocumentSection[] = [];
  const close = () => {
    if (current.length === 0) return;
    const offset = current[0]!.start;
    const end = current[current.length - 1]!.end;
    parts.push({
      index: parts.length,
      offset,
      text: document.text.slice(offset, end),
      sections: current.map((s) => ({ ...s, start: s.start - offset, end: s.end - offset })),
    });
    current = [];
  };
  for (const piece of pieces) {
    if (current.length > 0 && piece.end - current[0]!.start > maxCharacters) close();
    current.push(piece);
  }
  close();
  return parts;
}

/** A section longer than the limit, in pieces that end at a line break (else a space, else anywhere) within it. */
function cutSection(text: string, section: DocumentSection, maxCharacters: number): DocumentSection[] {
  const pieces: DocumentSection[] = [];
  let start = section.start;
  while (section.end - start > maxCharacters) {
    const window = text.slice(start, start + maxCharacters);
    const cut = Math.max(window.lastIndexOf("\n"), window.lastIndexOf(" "));
    const length = cut > maxCharacters / 2 ? cut : maxCharacters;
    pieces.push({ ...section, start, end: start + length });
    start += length;
    while (start < section.end && /\s/.test(text[start]!)) start++;
  }
  if (start < section.end) pieces.push({ ...section, start, end: section.end });
  return pieces;
}
