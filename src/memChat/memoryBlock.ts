import type { Prompt } from "../chatModel/promptLibrary.js";

/** A memory as the model is shown it: its id and text. */
export interface InjectedMemory {
  readonly memoryId: string;
  readonly cubeId: string;
  readonly text: string;
}

/** Characters of one memory's text shown to the model; a longer unit is cut (its id still names it whole). */
export const maxMemoryTextLength = 2_000;

/** One line per memory, `[id] text`, in the order retrieved; "(none)" when there are none. */
export function memoryLines(memories: readonly InjectedMemory[]): string {
  if (memories.length === 0) return "(none)";
  return memories
    .map((m) => {
      const flat = m.text.replace(/\s+/g, " ").trim();
      const text = flat.length > maxMemoryTextLength ? `${flat.slice(0, maxMemoryTextLength)}…` : flat;
      return `- [${m.memoryId}] ${text}`;
    })
    .join("\n");
}

/** The system message mem_chat puts before the conversation (prompts/memchat.system.md). */
export function memorySystemMessage(prompt: Prompt, memories: readonly InjectedMemory[]): string {
  return prompt.render({ memories: memoryLines(memories) });
}
