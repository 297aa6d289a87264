/**
 * Precision and recall of the redaction detectors per kind, on the labelled
 * sentences in test/fixtures/redaction/labelled.txt (spans marked {{kind:value}}).
 *
 *   npx tsx bench/redactionEval.ts [--json] [--misses] [--timing]
 *
 * A detected span counts as found when it has the gold span's kind and exactly
 * its bounds (strict), or overlaps it (lenient: e.g. "Dr." kept outside a name).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { DetectedSpan } from "../domain/redaction/maskSpans.js";
import { redactionKinds, type RedactionKind } from "../domain/redaction/redactionSettings.js";
import { detectPersonalData } from "../src/redaction/redactText.js";

interface LabelledSentence {
  readonly text: string;
  readonly gold: readonly DetectedSpan[];
}

const marker = /\{\{(\w+):(.+?)\}\}(?!\})/g;

/** The sentence without markers, and the marked spans at their offsets in it. */
export function parseLabelled(line: string): LabelledSentence {
  const gold: DetectedSpan[] = [];
  let text = "";
  let at = 0;
  for (const m of line.matchAll(marker)) {
    const kind = m[1] as RedactionKind;
    if (!redactionKinds.includes(kind)) throw new Error(`unknown kind ${kind} in: ${line}`);
    text += line.slice(at, m.index);
    gold.push({ kind, start: text.length, end: text.length + m[2]!.length });
    text += m[2];
    at = m.index + m[0].length;
  }
  return { text: text + line.slice(at), gold };
}

export function loadLabelled(path = join(import.meta.dirname, "..", "test", "fixtures", "redaction", "labelled.txt")): LabelledSentence[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#"))
    .map(parseLabelled);
}

interface Tally {
  gold: number;
  detected: number;
  strict: number;
  lenientDetected: number;
  lenientGold: number;
}

const overlaps = (a: DetectedSpan, b: DetectedSpan) => a.kind === b.kind && a.start < b.end && b.start < a.end;
const same = (a: DetectedSpan, b: DetectedSpan) => a.kind === b.kind && a.start === b.start && a.end === b.end;

export function evaluate(sentences: readonly LabelledSentence[]) {
  const tallies = Object.fromEntries(redactionKinds.map((k) => [k, { gold: 0, detected: 0, strict: 0, lenientDetected: 0, lenientGold: 0 } satisfies Tally])) as Record<RedactionKind, Tally>;
  const misses: string[] = [];
  for (const { text, gold } of sentences) {
    const detected = detectPersonalData(text, redactionKinds);
    for (const kind of redactionKinds) {
      const g = gold.filter((s) => s.kind === kind);
      const d = detected.filter((s) => s.kind === kind);
      const t = tallies[kind];
      t.gold += g.length;
      t.detected += d.length;
      t.strict += d.filter((s) => g.some((x) => same(s, x))).length;
      t.lenientDetected += d.filter((s) => g.some((x) => overlaps(s, x))).length;
      t.lenientGold += g.filter((x) => d.some((s) => overlaps(s, x))).length;
      for (const s of d.filter((s) => !g.some((x) => same(s, x)))) misses.push(`FP ${kind} "${text.slice(s.start, s.end)}" in: ${text}`);
      for (const x of g.filter((x) => !d.some((s) => same(s, x)))) misses.push(`FN ${kind} "${text.slice(x.start, x.end)}" in: ${text}`);
    }
  }
  const ratio = (n: number, d: number) => (d === 0 ? 1 : n / d);
  const rows = redactionKinds.map((kind) => {
    const t = tallies[kind];
    return { kind, gold: t.gold, detected: t.detected, precision: ratio(t.strict, t.detected), recall: ratio(t.strict, t.gold), lenientPrecision: ratio(t.lenientDetected, t.detected), lenientRecall: ratio(t.lenientGold, t.gold) };
  });
  return { sentences: sentences.length, rows, misses };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = evaluate(loadLabelled());
  if (process.argv.includes("--json")) {
    console.log(JSON.stringify(result, null, 2));
  } else {
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    console.log(`${result.sentences} labelled sentences\n`);
    console.log("| kind | gold spans | detected | precision | recall | precision (overlap) | recall (overlap) |");
    console.log("|---|---:|---:|---:|---:|---:|---:|");
    for (const r of result.rows) console.log(`| ${r.kind} | ${r.gold} | ${r.detected} | ${pct(r.precision)} | ${pct(r.recall)} | ${pct(r.lenientPrecision)} | ${pct(r.lenientRecall)} |`);
    if (process.argv.includes("--misses")) console.log(`\n${result.misses.join("\n")}`);
    if (process.argv.includes("--timing")) {
      const texts = loadLabelled().map((l) => l.text);
      for (const kinds of [redactionKinds, redactionKinds.filter((k) => k !== "name")]) {
        const rounds = 5_000;
        for (let i = 0; i < 200; i += 1) detectPersonalData(texts[i % texts.length]!, kinds);
        const started = performance.now();
        for (let i = 0; i < rounds; i += 1) detectPersonalData(texts[i % texts.length]!, kinds);
        console.log(`\n${kinds.join(",")}: ${(((performance.now() - started) * 1000) / rounds).toFixed(0)} µs per sentence (one core, warm)`);
      }
    }
  }
}
