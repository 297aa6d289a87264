import type { MemoryContent } from "../domain/memory/memoryContent.js";

/**
 * Deterministic entity extraction from a memory unit's content (no ML, no I/O).
 *
 * What counts as an entity of a unit:
 * - each tag → `tag:<lowercased tag>`;
 * - `userId` / `agentId` → `user:<id>` / `agent:<id>` (ids kept as given: they are identifiers, not names);
 * - the `key` (short title) → `entity:<normalised key>`;
 * - proper-noun-like names in the text → `entity:<normalised name>`:
 *   1. the text is cut into sentences at . ! ? … ; line breaks and 。！？；
 *   2. a name is a run of capitalised words (first letter upper- or title-case)
 *      separated only by spaces; a trailing possessive ('s, ’s) is dropped;
 *   3. stop words (pronouns, articles, days, months, greetings…, see `stopWords`)
 *      split a run and are never part of a name;
 *   4. a single word opening a sentence is capitalised by grammar, not because it
 *      is a name, so it counts only when the same word is capitalised somewhere
 *      else in the text too; a run of two or more capitalised words opening a
 *      sentence ("New York is…") is kept, since ordinary openers rarely come in pairs;
 *   5. CJK scripts have no capitals: only runs in corner or title brackets
 *      (「…」『…』《…》, up to 20 characters) are taken as names; other CJK text
 *      yields nothing (and never throws).
 * Normalisation (`normaliseName`): NFKC, lower case, words re-joined by one space,
 * possessives dropped, so "Caroline's" and "CAROLINE" are both `entity:caroline`.
 * The label keeps the first spelling met (key first, then the text in order).
 */

/** `entity` is a name of unknown type; the typed kinds come from `./namedEntities.ts` (graph entities "nlp"). */
/** The kinds an NLP recogniser types a name as (namedEntities.ts); untyped names stay `entity`. */
export const namedEntityKinds = ["person", "place", "organization", "date"] as const;
export type NamedEntityKind = (typeof namedEntityKinds)[number];

export type MentionKind = "entity" | NamedEntityKind | "tag" | "user" | "agent";

export interface ExtractedEntity {
  /** Node id, e.g. `entity:caroline`, `tag:art`, `user:u-42`. */
  readonly id: string;
  readonly kind: MentionKind;
  /** Display form as first written. */
  readonly label: string;
}

/** Lower-cased words that open sentences or name times, never people or places. */
export const stopWords: ReadonlySet<string> = new Set([
  // pronouns, articles, determiners
  "i", "i'm", "i've", "i'd", "i'll", "me", "my", "mine", "we", "we're", "we've", "us", "our", "you", "you're", "your",
  "he", "he's", "him", "his", "she", "she's", "her", "hers", "it", "it's", "its", "they", "they're", "them", "their",
  "a", "an", "the", "this", "that", "these", "those", "there", "here", "some", "any", "all", "each", "every", "both",
  // question words, conjunctions, prepositions, adverbs that start sentences
  "what", "when", "where", "who", "whom", "why", "how", "which", "and", "but", "or", "nor", "so", "if", "then", "than",
  "because", "although", "though", "while", "also", "just", "only", "still", "maybe", "perhaps", "however", "anyway",
  "in", "on", "at", "to", "of", "for", "with", "from", "by", "as", "after", "before", "during", "about", "into",
  "over", "under", "since", "until", "not", "no", "yes", "yeah", "ok", "okay", "oh", "wow", "well", "sure", "please",
  "hi", "hello", "hey", "thanks", "thank", "sorry", "great", "good", "nice", "cool", "let's", "let", "do", "does",
  "did", "is", "are", "was", "were", "be", "been", "have", "has", "had", "can", "could", "will", "would", "should",
  // times
  "today", "yesterday", "tomorrow", "tonight", "now", "later", "soon", "recently", "last", "next",
  "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
  "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december",
  // titles and roles that prefix names or stand for the speaker
  "mr", "mrs", "ms", "dr", "prof", "user", "assistant",
]);

/** A word: letters, marks and digits, with inner apostrophes or hyphens (O'Brien, Jean-Luc). */
const wordPattern = /[\p{L}\p{M}\p{N}]+(?:['’\-][\p{L}\p{M}\p{N}]+)*/gu;
const sentenceBreak = /[.!?…;\n。！？；]/u;
const onlySpacesBetweenWords = /^[ \t\u00a0]+$/u;
const capitalised = /^[\p{Lu}\p{Lt}]/u;
const possessive = /['’]s$/iu;
const cjkChar = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const bracketedCjkName = /[「『《]([^「」『』《》\n]{1,20})[」』》]/gu;

const maxQueryWordsPerName = 6;
const maxCjkSubstringLength = 16;
const maxQueryCandidates = 2_000;

/** `Caroline's` → `Caroline`; the possessive is grammar, not part of the name. */
function withoutPossessive(word: string): string {
  const last = word.charCodeAt(word.length - 1);
  // Only words ending in s/S can carry one; checking first spares a regex per word.
  return word.length > 2 && (last === 115 || last === 83) ? word.replace(possessive, "") : word;
}

/** The words of a text in canonical form: NFKC, lower case, straight apostrophes, no possessives. */
function normalisedWords(text: string): string[] {
  const words = text.normalize("NFKC").toLowerCase().replace(/’/gu, "'").match(wordPattern) ?? [];
  return words.map(withoutPossessive);
}

/** One canonical spelling for a name: its normalised words joined by one space. */
export function normaliseName(name: string): string {
  return normalisedWords(name).join(" ");
}

/** Node id of a named entity; empty names have none. */
export function entityIdOf(name: string): string | undefined {
  const normalised = normaliseName(name);
  return normalised === "" ? undefined : `entity:${normalised}`;
}

/** Lower case with straight apostrophes, the form `stopWords` and the counts use. */
const foldCase = (word: string): string => word.toLowerCase().replace(/’/gu, "'");

interface Word {
  readonly text: string;
  /** `text` in `foldCase` form. */
  readonly folded: string;
  /** Capitalised and not a stop word: may be (part of) a name. */
  readonly nameLike: boolean;
  readonly sentenceInitial: boolean;
  /** Only spaces separate this word from the previous one (so they can form one name). */
  readonly joinsPrevious: boolean;
}

function wordsOf(text: string): Word[] {
  const words: Word[] = [];
  let previousEnd = 0;
  for (const match of text.matchAll(wordPattern)) {
    const gap = text.slice(previousEnd, match.index);
    const word = withoutPossessive(match[0]);
    const folded = foldCase(word);
    words.push({
      text: word,
      folded,
      nameLike: capitalised.test(word) && !stopWords.has(folded),
      sentenceInitial: words.length === 0 || sentenceBreak.test(gap),
      joinsPrevious: words.length > 0 && onlySpacesBetweenWords.test(gap),
    });
    previousEnd = match.index + match[0].length;
  }
  return words;
}

/** Proper-noun-like names in free text, in order of first appearance (rules 1–5 above). */
export function extractNames(text: string): { readonly id: string; readonly label: string }[] {
  const normalised = text.normalize("NFKC");
  const words = wordsOf(normalised);
  const capitalisedCount = new Map<string, number>();
  for (const word of words) if (word.nameLike) capitalisedCount.set(word.folded, (capitalisedCount.get(word.folded) ?? 0) + 1);

  const runs: Word[][] = [];
  let run: Word[] = [];
  for (const word of words) {
    if (run.length > 0 && !(word.nameLike && word.joinsPrevious)) {
      runs.push(run);
      run = [];
    }
    if (word.nameLike) run.push(word);
  }
  if (run.length > 0) runs.push(run);

  const names: { id: string; label: string }[] = [];
  const seen = new Set<string>();
  const add = (label: string) => {
    const id = entityIdOf(label);
    if (id !== undefined && !seen.has(id)) {
      seen.add(id);
      names.push({ id, label });
    }
  };
  for (const words of runs) {
    const [first] = words;
    const lonelyOpener = words.length === 1 && first!.sentenceInitial && (capitalisedCount.get(first!.folded) ?? 0) < 2;
    if (!lonelyOpener) add(words.map((w) => w.text).join(" "));
  }
  for (const match of normalised.matchAll(bracketedCjkName)) {
    const inner = match[1]!.trim();
    if (cjkChar.test(inner)) add(inner);
  }
  return names;
}

/** Finds the names in a unit's text: `extractNames` (capitalised runs) or `extractNamedEntities` (typed, NLP). */
export type NameFinder = (text: string) => readonly { readonly id: string; readonly label: string; readonly kind?: MentionKind }[];

/**
 * Everything the unit mentions, sorted by id and de-duplicated. Pure: the same
 * content always yields the same list.
 */
export function extractEntities(content: MemoryContent, findNames: NameFinder = extractNames): ExtractedEntity[] {
  const byId = new Map<string, ExtractedEntity>();
  const add = (entity: ExtractedEntity) => {
    if (!byId.has(entity.id)) byId.set(entity.id, entity);
  };
  if (content.key !== undefined) {
    const id = entityIdOf(content.key);
    if (id !== undefined) add({ id, kind: "entity", label: content.key.trim() });
  }
  for (const name of findNames(content.text)) add({ id: name.id, label: name.label, kind: name.kind ?? "entity" });
  for (const tag of content.tags) {
    const label = tag.normalize("NFKC").trim().toLowerCase();
    if (label !== "") add({ id: `tag:${label}`, kind: "tag", label });
  }
  if (content.userId !== undefined && content.userId !== "") add({ id: `user:${content.userId}`, kind: "user", label: content.userId });
  if (content.agentId !== undefined && content.agentId !== "") add({ id: `agent:${content.agentId}`, kind: "agent", label: content.agentId });
  return [...byId.values()].sort((a, b) => compareIds(a.id, b.id));
}

/** Code-unit order, so the sort does not depend on the host's locale. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Entity ids a search query could be naming: every run of up to six words, and
 * for CJK words every substring of 2–16 characters (CJK has no spaces to cut
 * at). Longer candidates come first so the most specific match ranks first.
 */
export function candidateEntityIds(query: string): string[] {
  const words = normalisedWords(query);
  const candidates: string[] = [];
  const seen = new Set<string>();
  const add = (name: string) => {
    if (candidates.length < maxQueryCandidates && !seen.has(name)) {
      seen.add(name);
      candidates.push(`entity:${name}`);
    }
  };
  for (let size = Math.min(maxQueryWordsPerName, words.length); size >= 1; size -= 1) {
    for (let start = 0; start + size <= words.length; start += 1) add(words.slice(start, start + size).join(" "));
  }
  for (const word of words) {
    if (!cjkChar.test(word)) continue;
    const chars = [...word];
    for (let size = Math.min(maxCjkSubstringLength, chars.length - 1); size >= 2; size -= 1) {
      for (let start = 0; start + size <= chars.length; start += 1) add(chars.slice(start, start + size).join(""));
    }
  }
  return candidates;
}
