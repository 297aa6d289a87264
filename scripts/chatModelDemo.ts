/**
 * `npx vite-node scripts/chatModelDemo.ts`: extracts facts from a short
 * conversation with a chat model, and prints them with the tokens, cost and
 * time it took. The model: MEMLEDGER_CHAT_MODEL_URL / MEMLEDGER_CHAT_MODEL
 * when set (any OpenAI-compatible endpoint), else SmolLM2-135M-Instruct in
 * process through llama.cpp (scripts/fetch-chat-model.sh fetches it). A
 * 135M-parameter model shows the plumbing (prompt, schema, grammar, usage),
 * not the quality a real extraction needs.
 */
import { join } from "node:path";
import { chatModelFromEnv } from "../src/config.js";
import { loadPrompt } from "../src/chatModel/promptLibrary.js";
import { chatUsageMeter } from "../src/chatModel/chatUsageMeter.js";
import { openAiChatModel } from "../src/chatModel/openAiChatModel.js";
import { openLlamaCppChatModel } from "../src/chatModel/llamaCppChatModel.js";
import type { ChatModelPort } from "../src/chatModel/chatModelPort.js";

const conversation = [
  "user: Hi! I'm Maya. I just moved from Paris to Lyon for a new job.",
  "assistant: Welcome to Lyon, Maya! What is the new job?",
  "user: I'm a nurse at the Croix-Rousse hospital. Also, I'm vegetarian, so restaurant tips without meat please.",
].join("\n");

const schema = {
  type: "object",
  properties: { facts: { type: "array", items: { type: "string" } } },
  required: ["facts"],
  additionalProperties: false,
} as const;

const configured = chatModelFromEnv(process.env);
let close = async () => {};
let model: ChatModelPort;
if (configured) {
  model = openAiChatModel({ baseURL: configured.baseURL, model: configured.model, ...(configured.apiKey ? { apiKey: configured.apiKey } : {}), ...(configured.prices ? { prices: configured.prices } : {}) });
} else {
  const local = await openLlamaCppChatModel({ modelPath: join(import.meta.dirname, "..", ".cache", "models", "SmolLM2-135M-Instruct", "SmolLM2-135M-Instruct.Q4_1.gguf"), contextSize: 1024, repairRounds: 1 });
  model = local;
  close = () => local.close();
}
const prompt = loadPrompt("demo.extract-facts");
const meter = chatUsageMeter(model);
const started = performance.now();
try {
  const answer = await meter.model.completeStructured<{ facts: string[] }>({
    messages: [{ role: "user", content: prompt.render({ conversation }) }],
    schemaName: "facts",
    schema,
    maxTokens: 64,
    temperature: 0,
  });
  const seconds = (performance.now() - started) / 1000;
  console.log(`model ${answer.model}, prompt ${prompt.ref}, ${seconds.toFixed(1)} s${answer.repaired ? " (repaired)" : ""}`);
  for (const fact of answer.value.facts) console.log(`- ${fact}`);
  console.log(JSON.stringify(meter.report()));
} finally {
  await close();
}
