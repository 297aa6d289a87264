import { marked, type Token } from "marked";
import { DocumentTextBuilder, type DocumentText } from "./documentText.js";

/**
 * Markdown by `marked`'s lexer (the block tokens, nothing rendered): each
 * heading opens a section whose location is the path of headings above it;
 * the section keeps the Markdown source of its blocks, heading line included.
 */
export function parseMarkdown(source: string): DocumentText {
  const tokens = marked.lexer(source.replace(/\r\n?/g, "\n"));
  const builder = new DocumentTextBuilder();
  const path: { depth: number; text: string }[] = [];
  let title: string | undefined;
  let pending = "";
  // A heading with nothing under it before the next heading rides along with that one's section, not as a chunk of its own.
  let pendingHasBody = false;
  const flush = () => {
    builder.add(pending, { headingPath: path.map((heading) => heading.text) });
    pending = "";
    pendingHasBody = false;
  };
  for (const token of tokens as Token[]) {
    if (token.type === "heading") {
      if (pendingHasBody) flush();
      const depth = (token as { depth: number }).depth;
      const text = plainHeading((token as { text: string }).text);
      while (path.length > 0 && path[path.length - 1]!.depth >= depth) path.pop();
      path.push({ depth, text });
      if (depth === 1 && title === undefined) title = text;
    } else if (token.type !== "space") pendingHasBody = true;
    pending += token.raw;
  }
  flush();
  return builder.build(title !== undefined ? { title } : {});
}

/** A heading's inline Markdown (emphasis, code, links) as the words a reader sees. */
function plainHeading(text: string): string {
  return text
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/[*_`~]+/g, "")
    .trim();
}
