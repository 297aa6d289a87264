import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";

/**
 * What a tool answers. Results are JSON text: an LLM reads it as well as prose
 * and a program can parse it. A failure is an MCP tool error (`isError`), not a
 * protocol error, so the model sees why and can correct itself instead of the
 * client reporting a broken server.
 */

export const jsonResult = (value: unknown): CallToolResult => ({ content: [{ type: "text", text: JSON.stringify(value, null, 2) }] });

/** `<_tag>: <message>`: the typed error's name says what kind of failure it is, its message which id and what to do. */
export function describeFailure(error: unknown): string {
  const tag = typeof error === "object" && error !== null && typeof (error as { _tag?: unknown })._tag === "string" ? (error as { _tag: string })._tag : undefined;
  const message = typeof error === "object" && error !== null && typeof (error as { message?: unknown }).message === "string" ? (error as { message: string }).message : String(error);
  if (tag === undefined) return message;
  return message === "" || message === tag ? tag : `${tag}: ${message}`;
}

export const errorResult = (message: string): CallToolResult => ({ content: [{ type: "text", text: message }], isError: true });

/** Runs a tool's work; any failure becomes a tool error with a clear message, never a crash of the session. */
export async function toolOutcome(work: () => Promise<unknown>): Promise<CallToolResult> {
  try {
    return jsonResult(await work());
  } catch (error) {
    return errorResult(describeFailure(error));
  }
}
