import fc from "fast-check";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { chunkDocument } from "../src/documentReader/chunkDocument.js";
import { DocumentUnreadable } from "../src/documentReader/documentErrors.js";
import { mediaTypeOfFileName } from "../src/documentReader/documentText.js";
import { parseDocument, parsePlainText } from "../src/documentReader/parseDocument.js";
import { tokenCounterFor, tokenCounterNameFor } from "../src/documentReader/tokenCounter.js";
import { miniLmModelDir } from "../src/embedding/embeddingModelDir.js";
import { tinyPdf } from "./support/tinyPdf.js";

/**
 * Each format read into text with locations (page, heading path), chunks that
 * never exceed the token limit and are verbatim slices at their offsets, and
 * unreadable input refused with the reason.
 */
const cl100k = tokenCounterFor(undefined);
const sectionOf = (doc: Awaited<ReturnType<typeof parseDocument>>, needle: string) => doc.sections.find((s) => doc.text.slice(s.start, s.end).includes(needle));

describe("document parsing", () => {
  it("keeps the heading path of each Markdown section", async () => {
    const doc = await parseDocument("text/markdown", { content: "# Guide\n\nIntro text.\n\n## Install\n\nRun **npm**.\n\n### On Linux\n\nUse apt.\n\n## Use\n\nCall add.\n" });
    expect(doc.title).toBe("Guide");
    expect(sectionOf(doc, "Intro text")!.headingPath).toEqual(["Guide"]);
    expect(sectionOf(doc, "Use apt")!.headingPath).toEqual(["Guide", "Install", "On Linux"]);
    expect(sectionOf(doc, "Call add")!.headingPath).toEqual(["Guide", "Use"]);
  });

  it("reads HTML as its visible text with headings, dropping scripts and styles", async () => {
    const doc = await parseDocument("text/html", {
      content: "<html><head><title>Handbook</title><style>p{color:red}</style></head><body><script>var secret=1</script><h1>Policies</h1><p>Be kind &amp; fair.</p><h2>Leave</h2><p>25 days<br>a year.</p></body></html>",
    });
    expect(doc.title).toBe("Handbook");
    expect(doc.text).not.toMatch(/secret|color:red/);
    expect(doc.text).toContain("Be kind & fair.");
    expect(sectionOf(doc, "25 days")!.headingPath).toEqual(["Policies", "Leave"]);
  });

  it("reads a PDF page by page and keeps the page numbers", async () => {
    const pdf = await tinyPdf([["Alpha page talks about apples."], ["Beta page talks about bananas.", "Second line of beta."], ["Gamma page talks about grapes."]], "Fruit notes");
    const doc = await parseDocument("application/pdf", { contentBase64: pdf.toString("base64") });
    expect(doc.pages).toBe(3);
    expect(doc.title).toBe("Fruit notes");
    expect(sectionOf(doc, "bananas")!.page).toBe(2);
    expect(sectionOf(doc, "grapes")!.page).toBe(3);
    const chunks = await chunkDocument(doc, { chunkTokens: 16, overlapTokens: 0 }, cl100k);
    expect(chunks.find((c) => c.text.includes("apples"))!.page).toBe(1);
    expect(chunks.find((c) => c.text.includes("Second line"))!.page).toBe(2);
  });

  it("refuses a malformed PDF, and content in the wrong field, with the reason", async () => {
    const broken = Buffer.concat([Buffer.from("%PDF-1.7\n"), Buffer.from("garbage that is not a PDF body at all")]);
    const error = await parseDocument("application/pdf", { contentBase64: broken.toString("base64") }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DocumentUnreadable);
    expect((error as DocumentUnreadable).message).toMatch(/the PDF cannot be read .*nothing was recorded/);
    const notPdf = await parseDocument("application/pdf", { contentBase64: Buffer.from("hello").toString("base64") }).catch((e: unknown) => e);
    expect((notPdf as DocumentUnreadable).message).toMatch(/no %PDF- header/);
    const asText = await parseDocument("application/pdf", { content: "hello" }).catch((e: unknown) => e);
    expect((asText as DocumentUnreadable).message).toMatch(/contentBase64/);
    const empty = await parseDocument("text/html", { content: "<script>x()</script>" }).catch((e: unknown) => e);
    expect((empty as DocumentUnreadable).message).toMatch(/holds no text/);
  });

  it("names the media type of a file from its extension", () => {
    expect(mediaTypeOfFileName("notes.MD")).toBe("text/markdown");
    expect(mediaTypeOfFileName("a/b/page.htm")).toBe("text/html");
    expect(mediaTypeOfFileName("paper.pdf")).toBe("application/pdf");
    expect(mediaTypeOfFileName("log.txt")).toBe("text/plain");
    expect(mediaTypeOfFileName("image.png")).toBeUndefined();
  });
});

describe("token-aware chunking", () => {
  const words = fc.array(fc.oneof(fc.constantFrom("memory", "ledger", "über", "naïve", "tokenization", "x", "42", "\n", "\n\n", "supercalifragilistic"), fc.string({ minLength: 1, maxLength: 12 })), { minLength: 1, maxLength: 300 });

  it("never makes a chunk over the limit, and each chunk is the document's text at its offsets (cl100k_base)", async () => {
    await fc.assert(
      fc.asyncProperty(words, fc.integer({ min: 16, max: 64 }), fc.integer({ min: 0, max: 8 }), async (parts, chunkTokens, overlapTokens) => {
        const doc = parsePlainText(parts.join(" "));
        fc.pre(doc.text !== "");
        const chunks = await chunkDocument(doc, { chunkTokens, overlapTokens }, cl100k);
        expect(chunks.length).toBeGreaterThan(0);
        for (const chunk of chunks) {
          expect(chunk.tokens).toBeLessThanOrEqual(chunkTokens);
          expect(cl100k.count(chunk.text)).toBe(chunk.tokens);
          expect(doc.text.slice(chunk.start, chunk.end)).toBe(chunk.text);
        }
      }),
      { numRuns: 60 },
    );
  });

  it("cuts again a piece the splitter merged past the limit (token counts are not additive across a join)", async () => {
    // Found by the property above: the splitter joined pieces counted 16 apart into a 17-token chunk.
    const doc = parsePlainText(["naïve", " 0  ", "supercalifragilistic", ":#%", " ! ", "tokenization", "0"].join(" "));
    const chunks = await chunkDocument(doc, { chunkTokens: 16, overlapTokens: 6 }, cl100k);
    for (const chunk of chunks) {
      expect(chunk.tokens).toBeLessThanOrEqual(16);
      expect(doc.text.slice(chunk.start, chunk.end)).toBe(chunk.text);
    }
    expect(chunks.map((c) => c.text).join(" ")).toContain("tokenization 0");
  });

  const modelDir = process.env.MEMLEDGER_EMBEDDING_MODEL_DIR ?? miniLmModelDir;
  it.skipIf(!existsSync(join(modelDir, "tokenizer.json")))("counts with the embedding model's own tokenizer when it has one", async () => {
    const counter = tokenCounterFor(modelDir);
    expect(counter.name).toContain("embedding-model");
    expect(tokenCounterNameFor(modelDir)).toBe(counter.name);
    expect(tokenCounterNameFor(undefined)).toBe(cl100k.name);
    expect(tokenCounterNameFor("/no/such/dir")).toBe(cl100k.name);
    // WordPiece splits differently from cl100k: the count is the model's, not an approximation.
    expect(counter.count("unbelievably tokenized")).not.toBe(cl100k.count("unbelievably tokenized"));
    const doc = parsePlainText(Array.from({ length: 400 }, (_, i) => `Sentence ${i} mentions the embedding window.`).join(" "));
    const chunks = await chunkDocument(doc, { chunkTokens: 64, overlapTokens: 8 }, counter);
    expect(chunks.length).toBeGreaterThan(10);
    for (const chunk of chunks) expect(counter.count(chunk.text)).toBeLessThanOrEqual(64);
  });
});

describe("long documents in parts", () => {
  it("splits at section boundaries (or inside a long section) into parts within the limit whose offsets map back to the whole", async () => {
    const { splitIntoParts } = await import("../src/documentReader/documentParts.js");
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string({ minLength: 1, maxLength: 400 }), { minLength: 1, maxLength: 30 }), fc.integer({ min: 50, max: 500 }), async (sections, limit) => {
        const doc = await parseDocument("text/markdown", { content: sections.map((s, i) => `## H${i}\n\n${s.replace(/#/g, "")}`).join("\n\n") });
        const parts = splitIntoParts(doc, limit);
        for (const part of parts) {
          expect(part.text.length).toBeLessThanOrEqual(limit);
          expect(doc.text.slice(part.offset, part.offset + part.text.length)).toBe(part.text);
          for (const s of part.sections) expect(s.end).toBeLessThanOrEqual(part.text.length);
        }
        // Nothing is dropped but whitespace between parts.
        expect(parts.map((p) => p.text).join("").replace(/\s/g, "")).toBe(doc.text.replace(/\s/g, ""));
      }),
      { numRuns: 80 },
    );
  });
});
