import nlp from "compromise";
import { entityIdOf, extractNames, namedEntityKinds, type NamedEntityKind } from "./entities.js";

/**
 * Named entities found by a maintained NLP library (compromise, already used
 * for names in src/redaction/) instead of capitalised runs alone, typed:
 * people, places, organisations, and dates that carry a number ("March 2022",
 * "5 June"; "last week" would join every unit that says it). Capitalised runs
 * compromise does not type (a speaker's "Caroline:" prefix, "LGBTQ") are kept
 * as untyped `entity` mentions, so nothing the heuristic found is lost.
 *
 * Node ids stay `entity:<normalised name>` whatever the type, so a query
 * naming "New York" finds the node as before; the type is the node's kind.
 * Pure and deterministic: compromise's tagger is rule- and lexicon-based,
 * with no randomness and no I/O.
 */
export { namedEntityKinds, type NamedEntityKind };

export interface NamedEntity {
  readonly id: string;
  readonly kind: NamedEntityKind | "entity";
  readonly label: string;
}

interface Term {
  readonly text: string;
  readonly post: string;
  readonly tags: readonly string[];
}

/** The type compromise gave a term, most specific first; undefined for words that name nothing. */
function kindOf(term: Term): NamedEntityKind | undefined {
  if (term.tags.includes("Person")) return "person";
  if (term.tags.includes("Place")) return "place";
  if (term.tags.includes("Organization")) return "organization";
  if (term.tags.includes("Date")) return "date";
  return undefined;
}

/** Only spaces after a term: the next term can belong to the same name ("New York", not "York. Paris"). */
const joinsNext = (term: Term): boolean => /^[ \t\u00a0]*$/u.test(term.post);
const hasDigit = /\p{N}/u;

/** Typed entities in order of first appearance, then the untyped capitalised names left over. */
export function extractNamedEntities(text: string): NamedEntity[] {
  const found: NamedEntity[] = [];
  const seen = new Set<string>();
  const add = (label: string, kind: NamedEntity["kind"]) => {
    const id = entityIdOf(label);
    if (id === undefined || seen.has(id)) return;
    seen.add(id);
    found.push({ id, kind, label: label.replace(/['’]s$/u, "") });
  };
  const sentences = nlp(text).json({ terms: { text: true, tags: true, whitespace: true } }) as Array<{ terms: Term[] }>;
  for (const { terms } of sentences) {
    let run: Term[] = [];
    let runKind: NamedEntityKind | undefined;
    const flush = () => {
      const label = run.map((t) => t.text).join(" ");
      if (runKind !== undefined && (runKind !== "date" || hasDigit.test(label))) add(label, runKind);
      run = [];
      runKind = undefined;
    };
    for (const term of terms) {
      const kind = kindOf(term);
      if (kind === undefined || kind !== runKind) flush();
      if (kind !== undefined) {
        run.push(term);
        runKind = kind;
      }
      if (!joinsNext(term)) flush();
    }
    flush();
  }
  for (const name of extractNames(text)) add(name.label, "entity");
  return found;
}
