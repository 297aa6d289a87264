/**
 * A generated set of (existing memory, incoming memory) pairs with the decision
 * each should get: exact and restyled duplicates, paraphrases (filler words,
 * word order, synonyms), extensions, contradictions (a changed city, year,
 * employer) and unrelated facts about the same person. Seeded, so the file in
 * test/fixtures/dedupe/generated.jsonl is reproducible
 * (`npx vite-node bench/dedupeEval.ts --generate [--seed 14] [--cases 630]`).
 */
import { join } from "node:path";

export type CaseKind = "exact" | "restyled" | "filler-paraphrase" | "reordered-paraphrase" | "synonym-paraphrase" | "extension" | "contradiction" | "number-contradiction" | "unrelated";

export interface DedupeCase {
  readonly id: number;
  readonly kind: CaseKind;
  readonly existing: string;
  readonly incoming: string;
  /** What should happen to the incoming unit. */
  readonly expected: "NOOP" | "UPDATE" | "ADD";
  /** The incoming fact contradicts the existing one (its validity should close). */
  readonly contradiction: boolean;
}

/** mulberry32: small, seeded, good enough to pick words. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const names = ["Alice", "Bruno", "Chloe", "Dmitri", "Elena", "Farid", "Greta", "Hiro", "Ines", "Jonas", "Kemal", "Lucia", "Mateo", "Nadia", "Oskar", "Priya"];
const cities = ["Paris", "Lyon", "Berlin", "Madrid", "Lisbon", "Osaka", "Toronto", "Nairobi", "Oslo", "Porto"];
const companies = ["ACME", "Initech", "Globex", "Umbrella", "Hooli", "Vandelay", "Stark Industries", "Wayne Enterprises"];
const jobs = ["welder", "nurse", "data analyst", "pilot", "teacher", "chef", "lawyer", "architect"];
const foods = ["green tea", "dark chocolate", "spicy ramen", "sourdough bread", "mango sorbet", "black coffee"];
const languages = ["Italian", "Japanese", "Swahili", "Portuguese", "Norwegian", "Arabic"];
const pets = ["dog", "cat", "parrot", "rabbit"];
const petNames = ["Rex", "Tom", "Kiwi", "Luna", "Milo"];

export function generateDedupeSet(seed: number, count: number): DedupeCase[] {
  const r = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const other = <T>(xs: readonly T[], not: T): T => {
    const rest = xs.filter((x) => x !== not);
    return pick(rest);
  };
  const restyle = (text: string) => (r() < 0.5 ? text.toUpperCase() : text.toLowerCase()) + (r() < 0.5 ? "!" : " .");
  const kinds: CaseKind[] = ["exact", "restyled", "filler-paraphrase", "reordered-paraphrase", "synonym-paraphrase", "extension", "contradiction", "number-contradiction", "unrelated"];
  const cases: DedupeCase[] = [];
  for (let id = 0; id < count; id++) {
    const kind = kinds[id % kinds.length]!;
    const name = pick(names);
    const city = pick(cities);
    const company = pick(companies);
    const food = pick(foods);
    const base = pick([`${name} lives in ${city}`, `${name} works at ${company}`, `${name} likes ${food}`, `${name} speaks ${pick(languages)}`, `${name} has a ${pick(pets)} called ${pick(petNames)}`]);
    const make = (existing: string, incoming: string, expected: DedupeCase["expected"], contradiction = false): DedupeCase => ({ id, kind, existing, incoming, expected, contradiction });
    switch (kind) {
      case "exact":
        cases.push(make(base, base, "NOOP"));
        break;
      case "restyled":
        cases.push(make(base, restyle(base), "NOOP"));
        break;
      case "filler-paraphrase":
        cases.push(make(`${name} likes ${food}`, pick([`${name} really likes ${food}`, `${name} likes ${food} very much`, `So, ${name} does like ${food}.`]), "NOOP"));
        break;
      case "reordered-paraphrase":
        cases.push(make(`${name} works at ${company} in ${city}`, pick([`In ${city}, ${name} works at ${company}`, `${name} works in ${city} at ${company}`]), "NOOP"));
        break;
      case "synonym-paraphrase":
        cases.push(make(`${name} likes ${food}`, pick([`${name} enjoys ${food}`, `${name} is fond of ${food}`, `${food} is a favourite of ${name}`]), "NOOP"));
        break;
      case "extension":
        cases.push(make(`${name} works at ${company}`, `${name} works at ${company} as a ${pick(jobs)}`, "UPDATE"));
        break;
      case "contradiction": {
        const variant = r();
        if (variant < 0.5) cases.push(make(`${name} lives in ${city}`, `${name} lives in ${other(cities, city)}`, "ADD", true));
        else cases.push(make(`${name} works at ${company}`, `${name} works at ${other(companies, company)}`, "ADD", true));
        break;
      }
      case "number-contradiction": {
        const year = 1960 + Math.floor(r() * 45);
        cases.push(make(`${name} was born in ${year}`, `${name} was born in ${year + 1 + Math.floor(r() * 5)}`, "ADD", true));
        break;
      }
      case "unrelated":
        cases.push(make(`${name} likes ${food}`, pick([`${name} speaks ${pick(languages)}`, `${name} lives in ${city}`, `${name} has a ${pick(pets)} called ${pick(petNames)}`]), "ADD"));
        break;
    }
  }
  return cases;
}

export const dedupeSetPath = join(import.meta.dirname, "..", "test", "fixtures", "dedupe", "generated.jsonl");
