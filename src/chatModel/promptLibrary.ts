import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Prompts live in files under version control (prompts/<id>.md), each with a
 * front matter naming its id and version:
 *
 *     ---
 *     id: memreader.extract-facts
 *     version: 1
 *     ---
 *     You read a conversation and …  {{placeholder}} …
 *
 * The version goes on every event a prompt causes (`automation.prompt` =
 * `<id>@<version>`), so a change of wording is visible in history: bump the
 * version whenever the text changes (test/promptLibrary.test.ts checks that
 * each file's version matches the hash recorded beside it).
 */
export interface Prompt {
  readonly id: string;
  readonly version: string;
  /** `<id>@<version>`: what events record. */
  readonly ref: string;
  /** The body with `{{name}}` placeholders. */
  readonly template: string;
  /** The body with each `{{name}}` replaced; a placeholder without a value is an error, never left in. */
  render(values?: Readonly<Record<string, string>>): string;
}

export class PromptNotFound extends Error {
  constructor(readonly promptId: string, readonly path: string) {
    super(`prompt ${promptId} not found at ${path}; prompts live in prompts/<id>.md with an id and a version in their front matter`);
  }
}

const frontMatter = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/;

/** Parses a prompt file's text; `source` names it in errors. */
export function parsePrompt(text: string, source: string): Prompt {
  const match = frontMatter.exec(text);
  if (match === null) throw new Error(`${source}: a prompt file starts with a front matter (--- id: … version: … ---)`);
  const fields = new Map<string, string>();
  for (const line of match[1]!.split(/\r?\n/)) {
    const field = /^\s*([A-Za-z]+)\s*:\s*(.+?)\s*$/.exec(line);
    if (field !== null) fields.set(field[1]!, field[2]!);
  }
  const id = fields.get("id");
  const version = fields.get("version");
  if (id === undefined || version === undefined) throw new Error(`${source}: the front matter needs both id and version`);
  const template = match[2]!.trim();
  return {
    id,
    version,
    ref: `${id}@${version}`,
    template,
    render(values = {}) {
      return template.replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (_, name: string) => {
        const value = values[name];
        if (value === undefined) throw new Error(`prompt ${id}@${version} needs a value for {{${name}}}`);
        return value;
      });
    },
  };
}

/** The prompts/ folder of this package, found from this file (src/ under vitest, dist/src/ when built). */
export function promptsDirectory(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "prompts"))) return join(dir, "prompts");
    dir = dirname(dir);
  }
  throw new Error("the prompts/ folder of the memledger package was not found above " + fileURLToPath(import.meta.url));
}

const cache = new Map<string, Prompt>();

/** Loads prompts/<id>.md once; the id in the file must match its name. */
export function loadPrompt(id: string, directory = promptsDirectory()): Prompt {
  const path = join(directory, `${id}.md`);
  const cached = cache.get(path);
  if (cached !== undefined) return cached;
  if (!existsSync(path)) throw new PromptNotFound(id, path);
  const prompt = parsePrompt(readFileSync(path, "utf8"), path);
  if (prompt.id !== id) throw new Error(`${path}: its front matter says id ${prompt.id}, but the file is named for ${id}`);
  cache.set(path, prompt);
  return prompt;
}
