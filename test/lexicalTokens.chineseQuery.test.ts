import { describe, expect, it } from "vitest";
import { queryTerms, segmentWords } from "../projections/lexicalTokens.js";

/** BM25 query terms for Chinese questions: function and question words are not ranked by. */
describe("queryTerms: Chinese questions", () => {
  it("drops function and question words and keeps the content words", () => {
    expect(queryTerms("谁的狗叫什么名字？")).toEqual(["狗叫", "名字"]);
    expect(queryTerms("哪位用户用了抗生素会出事？")).toEqual(["用户", "用", "抗生素", "出", "事"]);
  });

  it("a question with only function words still searches by them", () => {
    expect(queryTerms("是谁的？")).toEqual(["是", "谁", "的"]);
  });

  it("documents keep every word: only queries drop them", () => {
    expect(segmentWords("王芳的猫是英短")).toEqual(["王", "芳", "的", "猫", "是", "英", "短"]);
    expect(queryTerms("王芳的猫是英短")).toEqual(["王", "芳", "猫", "英", "短"]);
  });

  it("English and mixed questions keep their behaviour", () => {
    expect(queryTerms("Where did Alice move to?")).toEqual(["alice", "move"]);
    expect(queryTerms("Alice 的 iPhone")).toEqual(["alice", "iphone"]);
  });
});
