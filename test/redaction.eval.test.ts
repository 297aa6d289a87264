import { describe, expect, it } from "vitest";
import { evaluate, loadLabelled, parseLabelled } from "../bench/redactionEval.js";

describe("the labelled redaction set", () => {
  it("turns {{kind:value}} markers into spans at the right offsets", () => {
    const { text, gold } = parseLabelled("Mail {{email:a@b.example}} or {{name:Ann Lee}}.");
    expect(text).toBe("Mail a@b.example or Ann Lee.");
    expect(gold.map((s) => [s.kind, text.slice(s.start, s.end)])).toEqual([
      ["email", "a@b.example"],
      ["name", "Ann Lee"],
    ]);
  });

  it("keeps the checksum- and grammar-backed detectors exact on it, and names above 85% (docs/benchmarks.md has the figures)", () => {
    const sentences = loadLabelled();
    expect(sentences.length).toBeGreaterThanOrEqual(100);
    const { rows } = evaluate(sentences);
    for (const row of rows.filter((r) => ["email", "phone", "card", "iban"].includes(r.kind))) {
      expect([row.kind, row.precision, row.recall]).toEqual([row.kind, 1, 1]);
    }
    const ip = rows.find((r) => r.kind === "ip")!;
    expect(ip.recall).toBe(1);
    const name = rows.find((r) => r.kind === "name")!;
    expect(name.precision).toBeGreaterThan(0.85);
    expect(name.recall).toBeGreaterThan(0.85);
  });
});
