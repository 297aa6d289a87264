/**
 * The Chinese retrieval set kept in bench/data/zh-retrieval/ (CC0, see its README):
 * memories an agent keeps about 30 users and questions naming the memories that answer them.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { queryTerms, segmentWords } from "../projections/lexicalTokens.js";

export const zhCategories = ["single-hop", "multi-hop", "temporal", "paraphrase"] as const;
export type ZhCategory = (typeof zhCategories)[number];

export interface ZhMemory {
  readonly id: string;
  readonly subject: string;
  /** ISO date of the event the memory tells of, when it has one. */
  readonly date?: string;
  readonly text: string;
}

export interface ZhQuestion {
  readonly id: string;
  readonly category: ZhCategory;
  readonly question: string;
  readonly answers: readonly string[];
  /**
   * Content words of the question (segmented as BM25 segments them, function words like 的 left out)
   * that also occur in an answer: none means BM25 can only reach the answer through a function word.
   */
  readonly sharedWords: readonly string[];
}

export interface ZhRetrievalSet {
  readonly memories: readonly ZhMemory[];
  readonly questions: readonly ZhQuestion[];
}

/** Chinese function words: sharing one says nothing about a lexical match (BM25 still ranks by them; its stop words are English only). */
const functionWords = new Set("的 了 是 不 被 在 和 也 就 都 而 有 吗 呢 吧 着 过 把 给 让 与 或 及 谁 哪 什么 一 个".split(" "));

export const defaultZhRetrievalDir = resolve("bench/data/zh-retrieval");

export function loadZhRetrievalSet(dir: string = defaultZhRetrievalDir): ZhRetrievalSet {
  const memories = readTsv(join(dir, "memories.tsv"), ["id", "subject", "date", "text"]).map(
    ({ id, subject, date, text }, row): ZhMemory => {
      if (!/^u\d{2}-\d{2}$/.test(id!) || !subject || !text) throw new Error(`memories.tsv row ${row + 2}: needs an id like u01-01, a subject and a text`);
      if (date && !/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new Error(`memories.tsv row ${row + 2} (${id}): date "${date}" is not YYYY-MM-DD`);
      return { id: id!, subject, text, ...(date ? { date } : {}) };
    },
  );
  const byId = new Map(memories.map((m) => [m.id, m]));
  if (byId.size !== memories.length) throw new Error(`memories.tsv: memory ids must be unique`);

  const questions = readTsv(join(dir, "questions.tsv"), ["id", "category", "question", "answers"]).map(
    ({ id, category, question, answers }, row): ZhQuestion => {
      if (!zhCategories.includes(category as ZhCategory)) throw new Error(`questions.tsv row ${row + 2} (${id}): category "${category}" is not one of ${zhCategories.join(", ")}`);
      const answerIds = answers!.split(",").map((a) => a.trim());
      const unknown = answerIds.filter((a) => !byId.has(a));
      if (unknown.length > 0 || answerIds.length === 0) throw new Error(`questions.tsv row ${row + 2} (${id}): unknown answer ids ${unknown.join(", ")}`);
      const answerWords = new Set(answerIds.flatMap((a) => segmentWords(byId.get(a)!.text)));
      const sharedWords = queryTerms(question!).filter((w) => answerWords.has(w) && !functionWords.has(w));
      return { id: id!, category: category as ZhCategory, question: question!, answers: answerIds, sharedWords };
    },
  );
  return { memories, questions };
}

function readTsv(path: string, columns: readonly string[]): Record<string, string>[] {
  const [header, ...lines] = readFileSync(path, "utf8").split("\n").filter((line) => line.trim() !== "");
  if (header !== columns.join("\t")) throw new Error(`${path}: the header must be "${columns.join("\\t")}"`);
  return lines.map((line, row) => {
    const cells = line.split("\t");
    if (cells.length !== columns.length) throw new Error(`${path} row ${row + 2}: ${cells.length} tab-separated cells, expected ${columns.length}`);
    return Object.fromEntries(columns.map((column, i) => [column, cells[i]!.trim()]));
  });
}
