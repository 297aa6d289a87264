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

/** Query terms: segmented like documents, stop words dropped unless nothing else is left. */
export function queryTerms(query: string): string[] {
  const words = [...new Set(segmentWords(query))];
  const meaningful = words.filter((w) => !queryStopWords.has(w));
  return meaningful.length > 0 ? meaningful : words;
}
