import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadPrompt, parsePrompt, promptsDirectory, PromptNotFound } from "../src/chatModel/promptLibrary.js";
import { lockFileName, lockProblems, nextLock, readLock, readPrompts } from "../src/chatModel/promptLock.js";

const promptFile = (id: string, version: string, body: string) => `---\nid: ${id}\nversion: ${version}\n---\n${body}\n`;

describe("the prompts under version control", () => {
  it("agree with prompts/versions.lock.json: no body changed without a version bump, no locked prompt missing", () => {
    const directory = promptsDirectory();
    const problems = lockProblems(readPrompts(directory), readLock(directory));
    // Each problem says what to do (bump the version, run npm run prompts:lock, restore the file).
    expect(problems, problems.join("\n")).toEqual([]);
  });

  it("each loads by its id, with ref = id@version", () => {
    for (const prompt of readPrompts(promptsDirectory())) {
      const loaded = loadPrompt(prompt.id);
      expect(loaded.ref).toBe(`${prompt.id}@${prompt.version}`);
      expect(loaded.template.length).toBeGreaterThan(0);
    }
  });
});

describe("prompt lock", () => {
  let directory: string;
  const dir = () => (directory = mkdtempSync(join(tmpdir(), "prompts-")));
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  it("fails when a body changed under the same version, and says to bump it", () => {
    const d = dir();
    writeFileSync(join(d, "greet.md"), promptFile("greet", "1", "Say hello to {{name}}."));
    const lock = nextLock(readPrompts(d), {});
    writeFileSync(join(d, "greet.md"), promptFile("greet", "1", "Say hi to {{name}}."));
    expect(lockProblems(readPrompts(d), lock)).toEqual([expect.stringMatching(/greet's body changed but its version is still 1: bump the version in prompts\/greet\.md.*npm run prompts:lock/)]);
    expect(() => nextLock(readPrompts(d), lock)).toThrow(/refusing to rewrite the lock/);
    // Bumped: only the lock is behind, and rewriting it is allowed.
    writeFileSync(join(d, "greet.md"), promptFile("greet", "2", "Say hi to {{name}}."));
    expect(lockProblems(readPrompts(d), lock)).toEqual([expect.stringMatching(/greet is at version 2 but .* records 1: run npm run prompts:lock/)]);
    expect(lockProblems(readPrompts(d), nextLock(readPrompts(d), lock))).toEqual([]);
  });

  it("fails when the lock names a prompt whose file is missing, or a prompt is not locked", () => {
    const d = dir();
    writeFileSync(join(d, "a.md"), promptFile("a", "1", "A."));
    const lock = nextLock(readPrompts(d), {});
    rmSync(join(d, "a.md"));
    writeFileSync(join(d, "b.md"), promptFile("b", "1", "B."));
    expect(lockProblems(readPrompts(d), lock)).toEqual([
      expect.stringMatching(/prompt b is not in prompts\/versions\.lock\.json: run npm run prompts:lock/),
      expect.stringMatching(/names a, but prompts\/a\.md is missing/),
    ]);
  });

  it("npm run prompts:lock writes the lock, and refuses (exit 1) a body changed without a bump", () => {
    const d = dir();
    writeFileSync(join(d, "greet.md"), promptFile("greet", "1", "Hello."));
    const run = () => execFileSync("npx", ["vite-node", "scripts/lockPrompts.ts", d], { cwd: join(promptsDirectory(), ".."), encoding: "utf8", stdio: "pipe" });
    expect(run()).toMatch(/greet@1/);
    const written = JSON.parse(readFileSync(join(d, lockFileName), "utf8"));
    expect(written.greet.version).toBe("1");
    writeFileSync(join(d, "greet.md"), promptFile("greet", "1", "Hello there."));
    expect(run).toThrow(/body changed but its version is still 1/);
    expect(JSON.parse(readFileSync(join(d, lockFileName), "utf8"))).toEqual(written);
  }, 60_000);
});

describe("prompt files", () => {
  it("render their placeholders, and refuse to leave one unfilled", () => {
    const prompt = parsePrompt(promptFile("greet", "3", "Hello {{ name }}, from {{place}}."), "greet.md");
    expect(prompt.ref).toBe("greet@3");
    expect(prompt.render({ name: "Ana", place: "Lyon" })).toBe("Hello Ana, from Lyon.");
    expect(() => prompt.render({ name: "Ana" })).toThrow(/greet@3 needs a value for \{\{place\}\}/);
  });

  it("need an id and a version, and a file named for its id", () => {
    expect(() => parsePrompt("no front matter", "x.md")).toThrow(/starts with a front matter/);
    expect(() => parsePrompt("---\nid: x\n---\nbody", "x.md")).toThrow(/needs both id and version/);
    const d = mkdtempSync(join(tmpdir(), "prompts-"));
    try {
      writeFileSync(join(d, "x.md"), promptFile("y", "1", "Body."));
      expect(() => readPrompts(d)).toThrow(/says id y, but the file is named x\.md/);
      expect(() => loadPrompt("missing", d)).toThrow(PromptNotFound);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
