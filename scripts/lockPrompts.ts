/**
 * `npm run prompts:lock`: rewrites prompts/versions.lock.json from the prompt
 * files, refusing when a prompt's body changed but its version did not (bump
 * the version first). See src/chatModel/promptLock.ts.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promptsDirectory } from "../src/chatModel/promptLibrary.js";
import { lockFileName, nextLock, readLock, readPrompts } from "../src/chatModel/promptLock.js";

const directory = process.argv[2] ?? promptsDirectory();
try {
  const lock = nextLock(readPrompts(directory), readLock(directory));
  writeFileSync(join(directory, lockFileName), `${JSON.stringify(lock, null, 2)}\n`);
  console.log(`${join(directory, lockFileName)}: ${Object.entries(lock).map(([id, { version }]) => `${id}@${version}`).join(", ") || "no prompts"}`);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
}
