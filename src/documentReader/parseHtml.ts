import { NodeType, parse, type HTMLElement, type Node } from "node-html-parser";
import { DocumentTextBuilder, type DocumentText } from "./documentText.js";

/** Elements whose content is never text for a reader. */
const dropped = new Set(["script", "style", "noscript", "template", "head", "svg", "iframe", "object"]);
/** Elements that end a line of text. */
const blocks = new Set(["p", "div", "li", "ul", "ol", "tr", "table", "section", "article", "header", "footer", "main", "nav", "aside", "blockquote", "pre", "dd", "dt", "dl", "figure", "figcaption", "address", "hr", "form", "fieldset", "details", "summary"]);
const headingLevel = (tag: string): number | undefined => (/^h[1-6]$/.test(tag) ? Number(tag[1]) : undefined);

/**
 * HTML by `node-html-parser`: the text a reader sees, scripts, styles and the
 * head dropped; each heading (h1-h6) opens a section located by the path of
 * headings above it. The title is <title>, else the first h1.
 */
export function parseHtml(source: string): DocumentText {
  const root = parse(source, { comment: false, blockTextElements: { script: false, style: false, noscript: false, pre: true } });
  const builder = new DocumentTextBuilder();
  const path: { depth: number; text: string }[] = [];
  let pending = "";
  // A heading with nothing under it before the next heading rides along with that one's section, not as a chunk of its own.
  let pendingHasBody = false;
  let firstH1: string | undefined;
  const flush = () => {
    builder.add(pending, { headingPath: path.map((heading) => heading.text) });
    pending = "";
    pendingHasBody = false;
  };
  const walk = (node: Node): void => {
    if (node.nodeType === NodeType.TEXT_NODE) {
      const text = collapse(node.text);
      if (text.trim() !== "") pendingHasBody = true;
      pending += text;
      return;
    }
    if (node.nodeType !== NodeType.ELEMENT_NODE) return;
    const element = node as HTMLElement;
    const tag = element.tagName?.toLowerCase() ?? "";
    if (dropped.has(tag)) return;
    const level = headingLevel(tag);
    if (level !== undefined) {
      if (pendingHasBody) flush();
      const text = collapse(element.text).trim();
      while (path.length > 0 && path[path.length - 1]!.depth >= level) path.pop();
      if (text !== "") path.push({ depth: level, text });
      if (level === 1 && firstH1 === undefined && text !== "") firstH1 = text;
      pending += `${text}\n`;
      return;
    }
    if (tag === "br") {
      pending += "\n";
      return;
    }
    if (tag === "pre") {
      if (element.text.trim() !== "") pendingHasBody = true;
      pending += `\n${element.text}\n`;
      return;
    }
    const isBlock = blocks.has(tag);
    if (isBlock) pending += "\n";
    for (const child of element.childNodes) walk(child);
    if (isBlock) pending += "\n";
  };
  walk(root);
  flush();
  const title = collapse(root.querySelector("title")?.text ?? "").trim() || firstH1;
  return builder.build(title ? { title } : {});
}

/** Runs of whitespace (non-breaking spaces too) as one space, as a browser shows them; `.text` has already decoded entities. */
const collapse = (text: string): string => text.replace(/\s+/g, " ");
