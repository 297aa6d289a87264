import { ManagedRuntime } from "effect";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { memLedgerLayer, openMemLedger, type MemLedger } from "../src/app/memLedger.js";
import { documentChunkJobKind, DocumentReader } from "../src/documentReader/documentReaderService.js";
import { JobBus } from "../src/jobs/jobBusPort.js";
import { EventStore } from "../src/eventStore/eventStorePort.js";
import { memoryStreamId } from "../domain/memory/memoryEvents.js";
import { failureOf } from "./support/tempLedger.js";
import { tinyPdf } from "./support/tinyPdf.js";
import { ensureEmbeddingModel } from "./support/embeddingModel.js";

/**
 * Documents through the library: recorded whole first, chunked by a job (or
 * before returning), each chunk a unit whose source names page, headings and
 * characters; reruns change nothing; unreadable input writes nothing.
 */
const dirs: string[] = [];
const open: MemLedger[] = [];
afterEach(async () => {
  for (const l of open.splice(0)) await l.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function world() {
  const dataDir = mkdtempSync(join(tmpdir(), "memledger-documents-"));
  dirs.push(dataDir);
  const ledger = await openMemLedger({ dataDir, worker: { concurrency: 2 }, jobBus: { kind: "sqlite", pollIntervalMs: 20 } });
  open.push(ledger);
  const cube = await ledger.cubes.create({ cubeId: "docs", name: "Docs", owner: { kind: "user", id: "u" } });
  return { ledger, cubeId: cube.cubeId, dataDir };
}

const guide = ["# Field guide", "", "Birds of the coast.", "", "## Gulls", "", "Herring gulls nest on cliffs and roofs.", "", "## Terns", "", "Arctic terns fly from pole to pole every year."].join("\n");

describe("documents.add (library)", () => {
  it("sync: records the document, then chunks with heading paths and character offsets; chunks are searchable", async () => {
    const { ledger, cubeId } = await world();
    const result = await ledger.documents.add(cubeId, { mediaType: "text/markdown", content: guide, async: false, documentId: "guide-1", tags: ["birds"], chunkTokens: 16, overlapTokens: 0 });
    if (result.mode !== "sync") throw new Error("expected a sync add");
    expect(result).toMatchObject({ documentId: "guide-1", title: "Field guide", mediaType: "text/markdown" });
    const document = await ledger.memories.get(result.documentMemoryId);
    // The whole document is a raw_source unit kept generated: search returns its chunks, not the whole.
    expect(document).toMatchObject({ status: "generated", attributes: { memoryType: "raw_source" } });
    expect(document.content!.metadata).toMatchObject({ documentId: "guide-1", documentRole: "document" });

    const terns = (await Promise.all(result.chunks.map((c) => ledger.memories.get(c.memoryId)))).find((m) => m.content!.text.includes("Arctic terns"))!;
    expect(terns.status).toBe("activated");
    expect(terns.attributes.memoryType).toBe("raw_source");
    expect(terns.content!.sources[0]).toMatchObject({ kind: "document", ref: "guide-1" });
    expect(terns.content!.sources[0]!.note).toMatch(/^Field guide > Terns; characters \d+-\d+$/);
    const meta = terns.content!.metadata;
    expect(meta).toMatchObject({ documentId: "guide-1", documentTitle: "Field guide", headingPath: "Field guide > Terns", page: null, documentRole: "chunk" });
    expect(typeof meta.chunkIndex).toBe("number");
    expect(document.content!.text.slice(Number(meta.charStart), Number(meta.charEnd))).toBe(terns.content!.text);
    expect(terns.content!.tags).toEqual(["birds"]);

    const found = await ledger.search({ query: "arctic terns pole", cubeIds: [cubeId] });
    expect(found.results[0]!.memory.memoryId).toBe(terns.memoryId);
    expect(found.results.map((r) => r.memory.memoryId)).not.toContain(result.documentMemoryId);
  });

  it("async (default): a PDF becomes a job; once done its chunks carry their page numbers and are searchable", async () => {
    const { ledger, cubeId } = await world();
    const pdf = await tinyPdf([["The lighthouse keeper logs the weather."], ["Storm warnings go out at dawn."]]);
    const result = await ledger.documents.add(cubeId, { mediaType: "application/pdf", contentBase64: pdf.toString("base64"), title: "Keeper's log" });
    if (result.mode !== "async") throw new Error("expected an async add");
    expect(result.pages).toBe(2);
    expect(result.job.kind).toBe(documentChunkJobKind);
    const waited = await ledger.jobs.wait(result.job.jobId, 20_000);
    expect(waited.job.status).toBe("done");
    const chunkIds = (waited.job.result as { chunkMemoryIds: string[] }).chunkMemoryIds;
    const chunks = await Promise.all(chunkIds.map((id) => ledger.memories.get(id)));
    const storm = chunks.find((c) => c.content!.text.includes("Storm warnings"))!;
    expect(storm.content!.metadata.page).toBe(2);
    expect(storm.content!.sources[0]!.note).toMatch(/^page 2; characters/);
    const found = await ledger.search({ query: "storm warnings dawn", cubeIds: [cubeId] });
    expect(found.results[0]!.memory.memoryId).toBe(storm.memoryId);
  });

  it("a rerun of the chunking job, or a retried sync add with the same command id, changes nothing", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "memledger-documents-rerun-"));
    dirs.push(dataDir);
    // No worker: the test runs the job's handler itself, twice, as a crash after its work would.
    const runtime = ManagedRuntime.make(memLedgerLayer({ dataDir, worker: false }));
    try {
      const { add, handlers } = await runtime.runPromise(DocumentReader);
      const bus = await runtime.runPromise(JobBus);
      const { CubeService } = await import("../src/cube/cubeService.js");
      const cubes = await runtime.runPromise(CubeService);
      const ctx = { tenantId: "default", actor: "test" };
      await runtime.runPromise(cubes.create({ cubeId: "c1", name: "c1", owner: { kind: "user", id: "u" } }, ctx));
      const added = await runtime.runPromise(add("c1", { mediaType: "text/plain", content: "One paragraph about owls.\n\nAnother about foxes and their dens.", chunkTokens: 16, overlapTokens: 0 }, ctx));
      if (added.mode !== "async") throw new Error("expected async");
      const job = await runtime.runPromise(bus.get(added.job.jobId));
      const first = (await handlers[documentChunkJobKind]!(job, { attempt: 1, signal: new AbortController().signal })) as { chunkMemoryIds: string[] };
      const units = async () => (await runtime.runPromise(cubes.listMemories("c1"))).length;
      const before = await units();
      const second = (await handlers[documentChunkJobKind]!(job, { attempt: 2, signal: new AbortController().signal })) as { chunkMemoryIds: string[] };
      expect(second.chunkMemoryIds).toEqual(first.chunkMemoryIds);
      expect(await units()).toBe(before);
      expect(before).toBe(1 + first.chunkMemoryIds.length);
      // Every event of a chunk names the component and the job that decided it.
      const store = await runtime.runPromise(EventStore);
      for (const memoryId of first.chunkMemoryIds) {
        const events = await runtime.runPromise(store.readStream(memoryStreamId(memoryId)));
        expect(events.length).toBeGreaterThan(0);
        for (const event of events) expect(event.metadata.automation).toEqual({ component: "documentReader", jobId: job.jobId });
      }

      const keyed = { ...ctx, commandId: "retry-me" };
      const once = await runtime.runPromise(add("c1", { mediaType: "text/plain", content: "Badgers dig setts.", async: false }, keyed));
      const again = await runtime.runPromise(add("c1", { mediaType: "text/plain", content: "Badgers dig setts.", async: false }, keyed));
      expect(again).toEqual(once);
      expect(await units()).toBe(before + 2);

      // A job whose document was erased before it ran fails with the reason, and writes no chunk.
      const { MemoryService } = await import("../src/memory/memoryService.js");
      const memories = await runtime.runPromise(MemoryService);
      const doomed = await runtime.runPromise(add("c1", { mediaType: "text/plain", content: "Moles tunnel under lawns." }, ctx));
      if (doomed.mode !== "async") throw new Error("expected async");
      await runtime.runPromise(memories.erase(doomed.documentMemoryId, ctx));
      const beforeFailure = await units();
      const doomedJob = await runtime.runPromise(bus.get(doomed.job.jobId));
      await expect(handlers[documentChunkJobKind]!(doomedJob, { attempt: 1, signal: new AbortController().signal })).rejects.toMatchObject({ _tag: "InvalidRequest", message: expect.stringMatching(/was erased; there is nothing to chunk/) });
      expect(await units()).toBe(beforeFailure);
    } finally {
      await runtime.dispose();
    }
  });

  it("a document longer than one unit holds is recorded in parts; chunks run on across them with offsets in the whole text", async () => {
    const { ledger, cubeId } = await world();
    const paragraphs = Array.from({ length: 300 }, (_, i) => `Paragraph ${i}: ${"the tide comes in and the tide goes out again ".repeat(10)}`);
    const content = paragraphs.join("\n\n");
    const result = await ledger.documents.add(cubeId, { mediaType: "text/plain", content, documentId: "tides", chunkTokens: 1_000, overlapTokens: 0 });
    if (result.mode !== "async") throw new Error("expected async");
    expect(result.characters).toBeGreaterThan(100_000);
    expect(result.partMemoryIds!.length).toBe(2);
    expect(result.partMemoryIds![0]).toBe(result.documentMemoryId);
    const parts = await Promise.all(result.partMemoryIds!.map((id) => ledger.memories.get(id)));
    for (const part of parts) expect(part.content!.text.length).toBeLessThanOrEqual(100_000);
    const waited = await ledger.jobs.wait(result.job.jobId, 30_000);
    expect(waited.job.status).toBe("done");
    const chunkIds = (waited.job.result as { chunkMemoryIds: string[] }).chunkMemoryIds;
    const chunks = await Promise.all(chunkIds.map((id) => ledger.memories.get(id)));
    expect(chunks.map((c) => c.content!.metadata.chunkIndex)).toEqual(chunks.map((_, i) => i));
    const last = chunks[chunks.length - 1]!.content!;
    const part = parts.find((p) => p.memoryId === last.metadata.documentMemoryId)!;
    expect(part.content!.metadata.partIndex).toBe(parts.length - 1);
    const offset = Number(part.content!.metadata.partOffset);
    expect(part.content!.text.slice(Number(last.metadata.charStart) - offset, Number(last.metadata.charEnd) - offset)).toBe(last.text);
  });

  it("with the local embedding model: tokens are counted by its own tokenizer, chunks fit its window and are found by vector search", async () => {
    const modelDir = await ensureEmbeddingModel();
    const dataDir = mkdtempSync(join(tmpdir(), "memledger-documents-onnx-"));
    dirs.push(dataDir);
    const ledger = await openMemLedger({ dataDir, worker: false, embedder: { kind: "onnx", modelDir } });
    open.push(ledger);
    await ledger.cubes.create({ cubeId: "kb", name: "kb", owner: { kind: "user", id: "u" } });
    const paragraphs = Array.from({ length: 40 }, (_, i) => `Paragraph ${i} is about ${i % 2 === 0 ? "mountain glaciers retreating in summer" : "sourdough bread fermenting overnight"}.`);
    const result = await ledger.documents.add("kb", { mediaType: "text/plain", content: paragraphs.join("\n\n"), async: false, chunkTokens: 64, overlapTokens: 8 });
    if (result.mode !== "sync") throw new Error("expected sync");
    expect(result.tokenizer).toBe(`embedding-model:${modelDir}`);
    expect(result.chunks.length).toBeGreaterThan(5);
    for (const chunk of result.chunks) expect(chunk.tokens).toBeLessThanOrEqual(64);
    const found = await ledger.search({ query: "ice melting on peaks", cubeIds: ["kb"], mode: "vector" });
    expect(found.results[0]!.memory.content!.text).toMatch(/glaciers/);
  });

  it("a malformed PDF is refused with the reason and writes nothing; too large for sync says to go async", async () => {
    const { ledger, cubeId } = await world();
    const broken = Buffer.concat([Buffer.from("%PDF-1.4\n"), Buffer.alloc(64, 0x41)]).toString("base64");
    const error = await failureOf(ledger.documents.add(cubeId, { mediaType: "application/pdf", contentBase64: broken }));
    expect(error._tag).toBe("DocumentUnreadable");
    expect(error.message).toMatch(/nothing was recorded/);
    expect(await ledger.cubes.memories(cubeId)).toEqual([]);
    const big = await failureOf(ledger.documents.add(cubeId, { mediaType: "text/plain", content: "word ".repeat(5_000), async: false }));
    expect(big).toMatchObject({ _tag: "DocumentTooLarge", limit: "maxSyncCharacters" });
    expect(big.message).toMatch(/"async": true/);
    await ledger.documents.add(cubeId, { mediaType: "text/plain", content: "first", documentId: "same", async: false });
    const twice = await failureOf(ledger.documents.add(cubeId, { mediaType: "text/plain", content: "second", documentId: "same", async: false }));
    expect(twice).toMatchObject({ _tag: "DocumentAlreadyRecorded", documentId: "same", cubeId });
    expect(twice.message).toMatch(/already recorded in cube docs .*another documentId/);
    expect(await failureOf(ledger.documents.add("no-such-cube", { mediaType: "text/plain", content: "x" }))).toMatchObject({ _tag: "CubeNotFound" });
  });
});
