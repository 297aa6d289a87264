import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { id, isoTime, reason } from "./mcpInputs.js";
import type { LedgerOfCall } from "./mcpTools.js";
import { toolOutcome } from "./toolResults.js";

const message = z.object({
  role: z.enum(["user", "assistant", "system", "tool"]).describe("who spoke the turn"),
  content: z.string().min(1).max(20_000).describe("what was said"),
  speaker: z.string().min(1).max(200).optional().describe("the speaker's name, e.g. \"Caroline\" (the role stands in when absent)"),
  at: isoTime("when the turn was said").optional(),
  messageId: id("your id of the turn; extracted memories cite it as their source").optional(),
});

/**
 * `add_messages`: conversation turns to the MemReader (docs/memreader.md),
 * which stores them raw and extracts memories with their sources. One call of
 * the principal's `memReader.addMessages`, like every tool.
 */
export function registerConversationTools(server: McpServer, ledgerOf: LedgerOfCall): void {
  server.registerTool(
    "add_messages",
    {
      title: "Remember a conversation",
      description:
        "Sends conversation turns to the memory reader: every turn is stored as it was said, then memories (facts, preferences, events) are extracted from them, each citing the turns it came from. Use it at the end of an exchange worth remembering instead of writing memories one by one with add_memory. Returns the ids of the stored turns and either the extraction job (default) or, with waitForExtraction, the memories extracted.",
      inputSchema: {
        cubeId: id("the cube to store them in (from list_cubes)"),
        messages: z.array(message).min(1).max(200).describe("the turns, oldest first"),
        userId: id("the user the conversation is about").optional(),
        sessionId: id("the conversation's id").optional(),
        mode: z.enum(["fast", "fine"]).optional().describe("fast (default): windows of turns, no model; fine: a chat model extracts facts, preferences and events"),
        waitForExtraction: z.boolean().optional().describe("true: answer only once the memories are extracted, and list them; default false (answers at once with a job)"),
        reason,
      },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    (input, extra) =>
      toolOutcome(() =>
        ledgerOf(extra).memReader.addMessages(
          input.cubeId,
          {
            messages: input.messages.map((m) => Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined)) as typeof m),
            ...(input.userId !== undefined ? { userId: input.userId } : {}),
            ...(input.sessionId !== undefined ? { sessionId: input.sessionId } : {}),
            ...(input.mode !== undefined ? { mode: input.mode } : {}),
            ...(input.waitForExtraction !== undefined ? { async: !input.waitForExtraction } : {}),
          },
          input.reason !== undefined ? { reason: input.reason } : {},
        ),
      ),
  );
}
