/**
 * Entity tags of memories (RFC 9110 §8.8.3): a memory's ETag is its revision
 * as a strong tag, `"3"`. If-Match takes `*` or a comma-separated list of tags
 * and compares strongly, so weak tags (`W/"3"`) never match.
 */
export type IfMatch = { readonly any: true } | { readonly any: false; readonly tags: readonly EntityTag[] };
export interface EntityTag {
  readonly weak: boolean;
  readonly opaque: string;
}

export const revisionETag = (revision: number): string => `"${revision}"`;

/** The header parsed, or a sentence saying what is wrong with it. */
export function parseIfMatch(header: string): IfMatch | { readonly problem: string } {
  if (header.trim() === "*") return { any: true };
  const tags: EntityTag[] = [];
  let at = 0;
  const skip = (chars: string) => {
    while (at < header.length && chars.includes(header[at]!)) at += 1;
  };
  while (at < header.length) {
    // Empty list elements (", ,") are allowed by the list syntax (RFC 9110 §5.6.1).
    skip(" \t,");
    if (at >= header.length) break;
    const weak = header.startsWith("W/", at);
    if (weak) at += 2;
    if (header[at] !== '"') return { problem: `expected a quoted entity tag such as "3" at character ${at + 1}` };
    const end = header.indexOf('"', at + 1);
    if (end < 0) return { problem: "an entity tag is missing its closing quote" };
    const opaque = header.slice(at + 1, end);
    // etagc: visible characters except the double quote, and obs-text (RFC 9110 §8.8.3).
    if (!/^[\x21\x23-\x7e\x80-\xff]*$/.test(opaque)) return { problem: `the entity tag "${opaque}" holds characters a tag cannot hold (spaces, commas inside the quotes?); list several tags as "1", "2"` };
    tags.push({ weak, opaque });
    at = end + 1;
    skip(" \t");
    if (at < header.length && header[at] !== ",") return { problem: `expected a comma between entity tags at character ${at + 1}` };
  }
  if (tags.length === 0) return { problem: "give * or one or more quoted entity tags" };
  return { any: false, tags };
}

/** Revisions a strong comparison can match: weak tags and tags that are not a revision match nothing. */
export function strongRevisions(ifMatch: { readonly tags: readonly EntityTag[] }): number[] {
  return ifMatch.tags.filter((tag) => !tag.weak && /^\d{1,15}$/.test(tag.opaque)).map((tag) => Number(tag.opaque));
}
