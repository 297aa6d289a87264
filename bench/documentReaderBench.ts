/**
 * `npx vite-node bench/documentReaderBench.ts`: the document reader on generated documents: Markdown
 * with 200 sections (about 177,000 characters, so a record in two parts), the same as HTML, and a
 * 40-page PDF (pdf-lib, about 93,000 characters). Median of 3 runs each.
 *
 * 1. Parse and chunk (no writes): parse time, then chunking at 250 tokens / 32 overlap with the
 *    local embedding model's tokenizer (when fetched) and with cl100k_base.
 * 2. End to end: an async add of the Markdown document (embedded log, full durability, read audit
 *    off, no embedder: BM25), the clock running from the call until the chunking job is done and a
 *    BM25 search for the last section's words returns its chunk.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { PDFDocument, StandardFonts } from "pdf-lib";
import { openMemLedger } from "../src/app/memLedger.js";
import { chunkDocument } from "../src/documentReader/chunkDocument.js";
import type { DocumentMediaType } from "../src/documentReader/documentText.js";
import { parseDocument, type DocumentBody } from "../src/documentReader/parseDocument.js";
import { tokenCounterFor } from "../src/documentReader/tokenCounter.js";
import { resolveEmbeddingModelDir } from "../src/embedding/embeddingModelDir.js";
import { removeDir, tempDir } from "./payload.js";
import { fmtMs, formatTable, median, nowMs, writeResults } from "./stats.js";

const runs = 3;
const sentence = (i: number, j: number) => `Section ${i} sentence ${j} notes that tide tables, harbour fees and mooring rules change with the season ${i * 7 + j}.`;
const sectionText = (i: number) => Array.from({ length: 4 }, (_, j) => sentence(i, j)).join(" ");
const markdown = ["# Harbour handbook", ...Array.from({ length: 200 }, (_, i) => `## Part ${Math.floor(i / 10)}\n\n### Section ${i}\n\n${sectionText(i)}\n\n${sectionText(i + 1000)}`)].join("\n\n");
const html = `<html><head><title>Harbour handbook</title><style>p{margin:0}</style></head><body><h1>Harbour handbook</h1>${Array.from({ length: 200 }, (_, i) => `<h2>Part ${Math.floor(i / 10)}</h2><h3>Section ${i}</h3><p>${sectionText(i)}</p><p>${sectionText(i + 1000)}</p>`).join("")}</body></html>`;

async function pdfBase64(): Promise<string> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let page = 0; page < 40; page++) {
    const p = doc.addPage([595, 842]);
    for (let line = 0; line < 45; line++) p.drawText(`Page ${page} line ${line}: tide tables and mooring rules ${page * 45 + line}.`, { x: 40, y: 800 - line * 17, font, size: 10 });
  }
  return Buffer.from(await doc.save()).toString("base64");
}

const modelDir = resolveEmbeddingModelDir();
const counters = [tokenCounterFor(undefined), ...(existsSync(join(modelDir, "tokenizer.json")) ? [tokenCounterFor(modelDir)] : [])];
const inputs: [string, DocumentMediaType, DocumentBody][] = [
  ["Markdown", "text/markdown", { content: markdown }],
  ["HTML", "text/html", { content: html }],
  ["PDF, 40 pages", "application/pdf", { contentBase64: await pdfBase64() }],
];

const rows: string[][] = [];
for (const [label, mediaType, body] of inputs) {
  const parseMs: number[] = [];
  let parsed = await parseDocument(mediaType, body);
  for (let r = 0; r < runs; r++) {
    const start = nowMs();
    parsed = await parseDocument(mediaType, body);
    parseMs.push(nowMs() - start);
  }
  for (const counter of counters) {
    const chunkMs: number[] = [];
    let chunks = 0;
    let maxTokens = 0;
    for (let r = 0; r < runs; r++) {
      const start = nowMs();
      const made = await chunkDocument(parsed, { chunkTokens: 250, overlapTokens: 32 }, counter);
      chunkMs.push(nowMs() - start);
      chunks = made.length;
      maxTokens = Math.max(...made.map((c) => c.tokens));
    }
    rows.push([label, `${parsed.text.length.toLocaleString("en")}`, `${parsed.sections.length}`, fmtMs(median(parseMs)), counter.name.startsWith("embedding-model") ? "all-MiniLM-L6-v2" : counter.name, fmtMs(median(chunkMs)), `${chunks}`, `${maxTokens}`]);
  }
}

const searchableMs: number[] = [];
let chunkCount = 0;
for (let r = 0; r < runs; r++) {
  const dataDir = tempDir("memledger-documents-bench-");
  const ledger = await openMemLedger({ dataDir, readAudit: false, jobBus: { kind: "sqlite", pollIntervalMs: 10 } });
  try {
    await ledger.cubes.create({ cubeId: "docs", name: "docs", owner: { kind: "project", id: "bench" } });
    const start = nowMs();
    const added = await ledger.documents.add("docs", { mediaType: "text/markdown", content: markdown });
    if (added.mode !== "async") throw new Error("expected async");
    const done = await ledger.jobs.wait(added.job.jobId, 120_000);
    chunkCount = (done.job.result as { chunkMemoryIds: string[] }).chunkMemoryIds.length;
    for (;;) {
      const found = await ledger.search({ query: "Section 1199 sentence 3", cubeIds: ["docs"], mode: "bm25", topK: 1 });
      if (found.results[0]?.memory.content?.text.includes("Section 1199 sentence 3")) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    searchableMs.push(nowMs() - start);
  } finally {
    await ledger.close();
    removeDir(dataDir);
  }
}

const markdownOut = [
  formatTable({
    title: "Parse and chunk (250 tokens, 32 overlap), median of 3",
    headers: ["document", "characters", "sections", "parse", "tokenizer", "chunk", "chunks", "largest chunk (tokens)"],
    rows,
  }),
  "",
  formatTable({
    title: "Markdown document, async add to searchable (BM25), median of 3",
    headers: ["characters", "chunks", "call to searchable"],
    rows: [[markdown.length.toLocaleString("en"), `${chunkCount}`, fmtMs(median(searchableMs))]],
  }),
].join("\n");
console.log(markdownOut);
console.log(`\nwritten to ${writeResults("documentReader", markdownOut)}`);
