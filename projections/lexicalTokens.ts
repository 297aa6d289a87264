/**
 * Word segmentation for full-text search. SQLite's unicode61 tokenizer splits
 * on spaces and punctuation only, so a Chinese or Japanese sentence would be
 * one giant token. ICU's word segmenter (Intl.Segmenter, built into Node)
 * splits CJK text by dictionary; we store its words separated by spaces, so
 * FTS5 sees real words in every script. Porter stemming (in the FTS5 table)
 * still applies to the English words.
 */
const segmenter = new Intl.Segmenter("en", { granularity: "word" });

export function segmentWords(text: string): string[] {
  const words: string[] = [];
  for (const part of segmenter.segment(text.normalize("NFKC").toLowerCase())) {
    if (part.isWordLike) words.push(part.segment);
  }
  return words;
}

/** Words too common to rank by; dropped from queries only (documents keep them). */
const queryStopWords = new Set(
  "a an and are as at be but by did do does for from had has have he her his how i in is it its me my of on or our she so that the their them they this to was we were what when where which who whom why will with would you your".split(" "),
);

/**
 * Chinese function words and question words: the English list never matched them, so a Chinese
 * question ranked every memory that has 的 or 是 (measured on bench/data/zh-retrieval, docs/retrieval.md).
 */
const chineseQueryStopWords = new Set(
  "的 了 是 在 和 与 或 及 也 就 都 而 又 还 被 把 给 让 对 从 向 以 为 着 过 吗 呢 吧 啊 么 有 没有 不 会 能 要 想 上 下 里 中 这 那 这个 那个 这些 那些 一 一个 一种 个 些 谁 谁是 谁家 哪 哪个 哪位 哪些 哪里 哪儿 哪天 什么 怎么 怎样 如何 为什么 多少 几 人".split(" "),
);

/** Query terms: segmented like documents, stop words dropped unless nothing else is left. */
export function queryTerms(query: string): string[] {
  const words = [...new Set(segmentWords(query))];
  const meaningful = words.filter((w) => !queryStopWords.has(w) && !chineseQueryStopWords.has(w));
  return meaningful.length > 0 ? meaningful : words;
}
