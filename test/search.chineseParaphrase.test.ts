import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MemLedger } from "../src/app/memLedger.js";
import { ensureChineseEmbeddingModel } from "./support/chineseEmbeddingModel.js";
import { tempLedger } from "./support/tempLedger.js";

// Fetched on first use like the English model; a machine that cannot fetch it skips, saying why.
const zh = await ensureChineseEmbeddingModel();
const skipReason = zh.modelDir === undefined ? zh.absentBecause : undefined;
if (skipReason) console.warn(`search.chineseParaphrase skipped: ${skipReason}`);

const memories = {
  sweets: "马超不爱吃甜食，连蛋糕都很少碰。",
  snoring: "高峰晚上睡觉打呼噜很严重。",
  penicillin: "王芳对青霉素过敏，这一点她反复强调过。",
  cat: "陈静家里有一只橘猫，名叫“胖虎”，已经十二岁了。",
  court: "赵敏是一名律师，专做知识产权诉讼。",
  truck: "黄强是跑长途的货车司机，常跑成都到乌鲁木齐的线路。",
  tea: "董明在福建武夷山种茶，家里有三十亩茶园。",
  coffee: "张伟每天早上都要喝一杯不加糖的美式咖啡。",
  marathon: "2023年11月5日，王芳在上海跑完了人生第一个全程马拉松。",
  piano: "梁雪有腱鞘炎，每天弹琴不能超过三个小时。",
  mango: "李娜对芒果过敏，吃了嘴唇会肿起来。",
  games: "刘洋晚上常常熬夜打游戏，最近在玩《黑神话：悟空》。",
};
// Each question shares no content word with the memory that answers it: only meaning connects them.
const paraphrases: readonly (readonly [string, keyof typeof memories])[] = [
  ["谁讨厌甜品？", "sweets"],
  ["谁睡觉时鼾声很大？", "snoring"],
  ["哪位用户用了抗生素会出事？", "penicillin"],
  ["哪位用户替客户打专利商标之类的官司？", "court"],
];

/** Chinese memories are found by a paraphrased Chinese question with BAAI/bge-small-zh-v1.5 (docs/embeddings.md, "Chinese"). */
describe.skipIf(skipReason !== undefined)("search: Chinese paraphrases with the Chinese embedding model", () => {
  let t: Awaited<ReturnType<typeof tempLedger>>;
  let ledger: MemLedger;
  const idOf = new Map<string, keyof typeof memories>();

  beforeAll(async () => {
    t = await tempLedger({ embedder: { kind: "onnx", modelDir: zh.modelDir! } });
    ledger = t.ledger;
    await ledger.cubes.create({ cubeId: "users", name: "users", owner: { kind: "project", id: "assistant" } });
    const names = Object.keys(memories) as (keyof typeof memories)[];
    const added = await ledger.memories.add("users", { mode: "sync", memories: names.map((name) => ({ text: memories[name] })) });
    if (added.mode !== "sync") throw new Error("expected a sync add");
    added.memories.forEach((m, i) => idOf.set(m.memoryId, names[i]!));
    await ledger.readModels.catchUp(60_000);
  }, 120_000);

  afterAll(() => t?.dispose());

  it.each(paraphrases)("vector search answers %s with the memory it paraphrases, first", async (query, expected) => {
    const response = await ledger.search({ query, cubeIds: ["users"], topK: 3, mode: "vector" });
    expect(idOf.get(response.results[0]!.memory.memoryId)).toBe(expected);
  });

  // BM25 still ranks memories sharing a stray word (打 in 打呼噜, 打游戏) by the court question, so hybrid is checked a little wider.
  it.each(paraphrases)("hybrid search (the default) has the answer to %s in its top 3", async (query, expected) => {
    const response = await ledger.search({ query, cubeIds: ["users"], topK: 3 });
    expect(response.results.map((r) => idOf.get(r.memory.memoryId))).toContain(expected);
  });
});
