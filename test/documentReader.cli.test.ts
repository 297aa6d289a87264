import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AddDocumentResult } from "../src/documentReader/documentReaderService.js";
import { runCliCaptured, type CliRun } from "./support/cliRun.js";
import { tinyPdf } from "./support/tinyPdf.js";

/** `memledger document add` on an embedded data directory: the media type from the extension, sync chunks, a queued job otherwise. */
describe("memledger document add", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "memledger-cli-document-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const operator = (...args: string[]) => runCliCaptured(["--data-dir", join(dir, "data"), ...args]);
  const json = async <T>(runner: Promise<CliRun>): Promise<T> => {
    const done = await runner;
    expect(done, done.err).toMatchObject({ code: 0, err: "" });
    return JSON.parse(done.out) as T;
  };

  it("adds a Markdown file synchronously, a PDF as a job, and refuses an unknown extension", async () => {
    await json(operator("cube", "create", "manuals", "--id", "m", "--owner-kind", "project", "--owner-id", "p", "--json"));
    const md = join(dir, "setup.md");
    writeFileSync(md, "# Setup\n\n## Install\n\nRun the installer twice.\n");
    const added = await json<AddDocumentResult>(operator("document", "add", "--cube", "m", md, "--sync", "--tag", "manual", "--json"));
    if (added.mode !== "sync") throw new Error("expected sync");
    expect(added).toMatchObject({ mediaType: "text/markdown", title: "Setup" });
    expect(added.chunks[0]!.location).toMatch(/^Setup > Install; characters/);
    const text = await operator("document", "add", "--cube", "m", md, "--sync", "--id", "setup-2");
    expect(text.out).toMatch(/document setup-2 "Setup" \(text\/markdown, \d+ characters\)/);

    const pdf = join(dir, "sheet.pdf");
    writeFileSync(pdf, await tinyPdf([["Torque the bolts to 40 Nm."]]));
    const queued = await json<AddDocumentResult>(operator("document", "add", "--cube", "m", pdf, "--json"));
    expect(queued).toMatchObject({ mode: "async", mediaType: "application/pdf", pages: 1, job: { kind: "document.chunk" } });

    const image = join(dir, "photo.png");
    writeFileSync(image, "not a document");
    const refused = await operator("document", "add", "--cube", "m", image);
    expect(refused.code).not.toBe(0);
    expect(refused.err).toMatch(/photo\.png: cannot tell its media type.*--media-type/);
  });
});
