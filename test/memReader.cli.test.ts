import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCliCaptured } from "./support/cliRun.js";

describe("memledger messages add", () => {
  let dataDir: string;
  const cli = (...args: string[]) => runCliCaptured(["--data-dir", dataDir, "--tenant", "acme", "--actor", "user:alice", ...args]);

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "memledger-cli-messages-"));
    expect((await cli("cube", "create", "Chat", "--owner-kind", "user", "--owner-id", "caroline", "--id", "chat")).code).toBe(0);
    writeFileSync(
      join(dataDir, "conversation.json"),
      JSON.stringify({
        sessionId: "s1",
        messages: [
          { role: "user", speaker: "Caroline", content: "I started pottery classes.", at: "2023-05-08T13:56:00Z", messageId: "p1" },
          { role: "assistant", speaker: "Melanie", content: "What do you make?", at: "2023-05-08T13:57:00Z", messageId: "p2" },
          { role: "tool", toolCall: { tool: "calendar.add", arguments: { title: "pottery" }, result: "ok", outcome: "success" }, messageId: "p3" },
        ],
      }),
    );
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("with --wait stores the turns and prints the extracted memories", async () => {
    const run = await cli("messages", "add", "--cube", "chat", "--file", join(dataDir, "conversation.json"), "--user", "caroline", "--wait");
    expect(run, run.err).toMatchObject({ code: 0, err: "" });
    expect(run.out).toContain("3 turn(s) stored as raw_source units (fast mode)");
    expect(run.out).toContain("1 window(s), 0 fact(s), 1 tool call(s), 0 image(s)");
    expect(run.out).toMatch(/tool\s+Called tool calendar\.add/);
  });

  it("without --wait leaves the extraction to a job, and --json prints the answer", async () => {
    const run = await cli("--json", "messages", "add", "--cube", "chat", "--file", join(dataDir, "conversation.json"));
    expect(run.code, run.err).toBe(0);
    expect(JSON.parse(run.out)).toMatchObject({ mode: "fast", async: true, job: { kind: "memreader.extract" } });
  });

  it("says what is wrong with a file that is no conversation, and with --mode fine and no model", async () => {
    writeFileSync(join(dataDir, "bad.json"), "{ nope");
    const bad = await cli("messages", "add", "--cube", "chat", "--file", join(dataDir, "bad.json"));
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain("not a JSON conversation");
    const fine = await cli("messages", "add", "--cube", "chat", "--file", join(dataDir, "conversation.json"), "--mode", "fine");
    expect(fine.code).not.toBe(0);
    expect(fine.err).toContain("MEMLEDGER_CHAT_MODEL_URL");
  });
});
