import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultZhRetrievalDir, loadZhRetrievalSet, zhCategories } from "../bench/zhRetrievalSet.js";

/** The Chinese retrieval set the project keeps (bench/data/zh-retrieval/): what its README promises holds. */
describe("the Chinese retrieval set", () => {
  const set = loadZhRetrievalSet(defaultZhRetrievalDir);

  it("has 200-400 memories and 80-120 questions across every category", () => {
    expect(set.memories.length).toBeGreaterThanOrEqual(200);
    expect(set.memories.length).toBeLessThanOrEqual(400);
    expect(set.questions.length).toBeGreaterThanOrEqual(80);
    expect(set.questions.length).toBeLessThanOrEqual(120);
    for (const category of zhCategories) expect(set.questions.filter((q) => q.category === category).length).toBeGreaterThanOrEqual(15);
  });

  it("every paraphrase question shares no content word with the memories that answer it", () => {
    const leaking = set.questions.filter((q) => q.category === "paraphrase" && q.sharedWords.length > 0);
    expect(leaking.map((q) => `${q.id}: ${q.sharedWords.join(" ")}`)).toEqual([]);
  });

  it("ids are unique and texts are Chinese", () => {
    expect(new Set(set.questions.map((q) => q.id)).size).toBe(set.questions.length);
    for (const m of set.memories) expect(m.text).toMatch(/\p{Script=Han}{4}/u);
    for (const q of set.questions) expect(q.question).toMatch(/\p{Script=Han}{2}/u);
  });

  it("the loader rejects an answer id that names no memory", () => {
    const dir = mkdtempSync(join(tmpdir(), "zh-set-"));
    writeFileSync(join(dir, "memories.tsv"), readFileSync(join(defaultZhRetrievalDir, "memories.tsv")));
    writeFileSync(join(dir, "questions.tsv"), "id\tcategory\tquestion\tanswers\nx01\tsingle-hop\t张伟在哪工作？\tu99-01\n");
    expect(() => loadZhRetrievalSet(dir)).toThrow(/unknown answer ids u99-01/);
  });

  it("a paraphrase that repeats its answer's words is caught", () => {
    const dir = mkdtempSync(join(tmpdir(), "zh-set-"));
    writeFileSync(join(dir, "memories.tsv"), readFileSync(join(defaultZhRetrievalDir, "memories.tsv")));
    writeFileSync(join(dir, "questions.tsv"), "id\tcategory\tquestion\tanswers\nx01\tparaphrase\t谁对青霉素过敏？\tu03-09\n");
    expect(loadZhRetrievalSet(dir).questions[0]!.sharedWords).toEqual(["青霉素", "过敏"]);
  });
});
