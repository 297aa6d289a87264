import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parsePrompt, type Prompt } from "./promptLibrary.js";

/**
 * prompts/versions.lock.json records, for each prompt, its version and the
 * sha256 of its body. Events record `<id>@<version>`, so a body changed
 * without a version bump would make two different prompts look like one in
 * history; the lock catches that (test/promptLibrary.test.ts) and
 * `npm run prompts:lock` refuses to paper over it.
 */
export type PromptLock = Readonly<Record<string, { readonly version: string; readonly sha256: string }>>;

export const lockFileName = "versions.lock.json";

export function bodyHash(prompt: Prompt): string {
  return createHash("sha256").update(prompt.template, "utf8").digest("hex");
}

/** Every prompts/<id>.md in the folder, parsed; a file whose id is not its name is an error. */
export function readPrompts(directory: string): Prompt[] {
  return readdirSync(directory)
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => {
      const path = join(directory, name);
      const prompt = parsePrompt(readFileSync(path, "utf8"), path);
      if (`${prompt.id}.md` !== name) throw new Error(`${path}: its front matter says id ${prompt.id}, but the file is named ${name}; name it ${prompt.id}.md`);
      return prompt;
    });
}

export function readLock(directory: string): PromptLock {
  const path = join(directory, lockFileName);
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as PromptLock) : {};
}

/** What is wrong between the prompt files and the lock, each problem saying what to do; empty when they agree. */
export function lockProblems(prompts: readonly Prompt[], lock: PromptLock): string[] {
  const problems: string[] = [];
  const byId = new Map(prompts.map((p) => [p.id, p]));
  for (const prompt of prompts) {
    const locked = lock[prompt.id];
    const hash = bodyHash(prompt);
    if (locked === undefined) problems.push(`prompt ${prompt.id} is not in prompts/${lockFileName}: run npm run prompts:lock`);
    else if (locked.version === prompt.version && locked.sha256 !== hash) {
      problems.push(`prompt ${prompt.id}'s body changed but its version is still ${prompt.version}: bump the version in prompts/${prompt.id}.md (events record ${prompt.id}@<version>, so a new wording needs a new version), then run npm run prompts:lock`);
    } else if (locked.version !== prompt.version) {
      problems.push(`prompt ${prompt.id} is at version ${prompt.version} but prompts/${lockFileName} records ${locked.version}: run npm run prompts:lock`);
    }
  }
  for (const id of Object.keys(lock)) {
    if (!byId.has(id)) problems.push(`prompts/${lockFileName} names ${id}, but prompts/${id}.md is missing: restore the file, or run npm run prompts:lock to drop it`);
  }
  return problems;
}

/** The lock for the prompts as they are now; refuses when a body changed under an unchanged version. */
export function nextLock(prompts: readonly Prompt[], previous: PromptLock): PromptLock {
  const unbumped = lockProblems(prompts, previous).filter((p) => p.includes("body changed"));
  if (unbumped.length > 0) throw new Error(`refusing to rewrite the lock:\n${unbumped.join("\n")}`);
  const lock: Record<string, { version: string; sha256: string }> = {};
  for (const prompt of [...prompts].sort((a, b) => a.id.localeCompare(b.id))) lock[prompt.id] = { version: prompt.version, sha256: bodyHash(prompt) };
  return lock;
}
