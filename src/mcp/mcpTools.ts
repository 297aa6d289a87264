import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { LedgerApi, RequestOptions } from "../app/ledgerApi.js";
import type { SearchHit, SearchRequest } from "../search/searchRequest.js";
import { searchLimits } from "../search/normalizeSearchRequest.js";
import type { NewMemoryItem } from "../ingestion/ingestionService.js";
import type { MemoryEdit } from "../memory/memoryService.js";
import { asOfOf, defined, expectedRevision, id, InputProblem, isoTime, logMomentOf, memoryType, metadata, pointInTime, reason, revisionInTime, tags, visibility } from "./mcpInputs.js";
import { toolOutcome } from "./toolResults.js";

/** The principal's ledger for the request being served (stdio: always the same one; HTTP: the request's). */
export type LedgerOfCall = (extra: { readonly authInfo?: { readonly extra?: Record<string, unknown> } }) => LedgerApi<RequestOptions>;

/** A search hit as a model needs it: the text, where it lives, and how well it matched. */
const hitSummary = (hit: SearchHit) => ({
  memoryId: hit.memory.memoryId,
  cubeId: hit.memory.cubeId,
  score: hit.score,
  text: hit.memory.content?.text ?? null,
  ...(hit.memory.content?.key !== undefined ? { key: hit.memory.content.key } : {}),
  tags: hit.memory.content?.tags ?? [],
  memoryType: hit.memory.attributes.memoryType,
  status: hit.memory.status,
  ...(hit.memory.attributes.eventTime !== undefined ? { eventTime: hit.memory.attributes.eventTime } : {}),
  revision: hit.memory.revision,
  updatedAt: hit.memory.updatedAt,
});

const writeOptions = (revision: number | undefined) => (revision !== undefined ? { expectedRevision: revision } : undefined);
const requestOptions = (why: string | undefined): RequestOptions => (why !== undefined ? { reason: why } : {});

/**
 * The memory tools: each one call of the principal's LedgerApi, so every
 * permission check, read audit and event provenance is the facade's, the same
 * as over REST. Descriptions say what a tool returns and when to use it.
 */
export function registerMemoryTools(server: McpServer, ledgerOf: LedgerOfCall): void {
  server.registerTool(
    "list_cubes",
    {
      title: "List memory cubes",
      description:
        "Lists the memory cubes (named collections of memories) you may read: cubeId, name, description, owner and how many memories each holds. Call it first to learn which cubeId to add to or search in.",
      inputSchema: {},
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (_args, extra) =>
      toolOutcome(async () =>
        (await ledgerOf(extra).cubes.list()).map((cube) => ({
          cubeId: cube.cubeId,
          name: cube.name,
          ...(cube.description !== undefined ? { description: cube.description } : {}),
          owner: cube.owner,
          memoryCount: cube.memoryCount,
        })),
      ),
  );

  server.registerTool(
    "add_memory",
    {
      title: "Remember something",
      description:
        "Stores one new memory (a self-contained fact, preference or event, in one or two sentences) in a cube and returns it with its memoryId and revision. Search first (search_memories) so you do not store a duplicate: to change what an existing memory says, use edit_memory instead.",
      inputSchema: {
        cubeId: id("the cube to store it in (from list_cubes)"),
        text: z.string().min(1).max(20_000).describe("the memory itself, written to be understood without the conversation, e.g. \"Ana is vegetarian since 2024\""),
        key: z.string().min(1).max(200).optional().describe("a short title"),
        tags: tags.optional(),
        memoryType: memoryType.optional(),
        userId: id("the user the memory is about or belongs to").optional(),
        agentId: id("the agent that learned it").optional(),
        sessionId: id("the conversation it came from").optional(),
        metadata: metadata.optional(),
        eventTime: isoTime("when the remembered thing happened (not when it is recorded), ISO-8601").optional(),
        confidence: z.number().min(0).max(1).optional().describe("how sure you are, 0 to 1 (default 1)"),
        visibility: visibility.optional(),
        reason,
      },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    (input, extra) =>
      toolOutcome(async () => {
        const { cubeId, reason: why, ...item } = input;
        const added = await ledgerOf(extra).memories.add(cubeId, { memories: [defined(item) as NewMemoryItem], mode: "sync" }, requestOptions(why));
        return added.mode === "sync" ? added.memories[0] : added;
      }),
  );

  server.registerTool(
    "search_memories",
    {
      title: "Search memories",
      description:
        "Finds the memories most relevant to a query (hybrid: meaning, keywords and related entities) and returns them best first with memoryId, cubeId, text, tags, score and revision. Use it before answering a question that may depend on what was remembered, and before adding or editing. Give asOfTime to see what was known at a past moment.",
      inputSchema: {
        query: z.string().min(1).max(2_000).describe("what you are looking for, in natural language"),
        cubeIds: z.array(id("a cube id")).min(1).max(searchLimits.cubeIds).optional().describe("the cubes to search; leave out to search every cube you may read"),
        limit: z.number().int().min(1).max(100).optional().describe("how many results at most (default 10)"),
        ...pointInTime,
        tags: tags.optional().describe("only memories carrying at least one of these tags"),
        memoryTypes: z.array(memoryType).max(20).optional().describe("only these kinds of memory"),
        userId: id("only memories of this user").optional(),
        agentId: id("only memories of this agent").optional(),
        metadata: metadata.optional().describe("only memories whose metadata has exactly these values"),
        eventTimeFrom: isoTime("only memories of things that happened at or after this time").optional(),
        eventTimeTo: isoTime("only memories of things that happened at or before this time").optional(),
        includeArchived: z.boolean().optional().describe("also search archived memories (left out by default)"),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (input, extra) =>
      toolOutcome(async () => {
        const ledger = ledgerOf(extra);
        const asOf = logMomentOf(input);
        const cubeIds = input.cubeIds ?? (await ledger.cubes.list()).map((cube) => cube.cubeId);
        if (cubeIds.length === 0) throw new InputProblem("you may read no cube yet: ask an administrator for a grant (memledger grant cube), or create one");
        if (input.cubeIds === undefined && cubeIds.length > searchLimits.cubeIds) {
          throw new InputProblem(`you may read ${cubeIds.length} cubes, more than one search covers (${searchLimits.cubeIds}): name the cubes to search in cubeIds (see list_cubes)`);
        }
        const filters: NonNullable<SearchRequest["filters"]> = defined({
          tags: input.tags,
          memoryTypes: input.memoryTypes,
          userId: input.userId,
          agentId: input.agentId,
          metadata: input.metadata,
          eventTimeFrom: input.eventTimeFrom,
          eventTimeTo: input.eventTimeTo,
        }) as NonNullable<SearchRequest["filters"]>;
        const response = await ledger.search({
          query: input.query,
          cubeIds,
          ...(input.limit !== undefined ? { topK: input.limit } : {}),
          ...(Object.keys(filters).length > 0 ? { filters } : {}),
          ...(input.includeArchived !== undefined ? { includeArchived: input.includeArchived } : {}),
          ...(asOf !== undefined ? { asOf } : {}),
        });
        return {
          results: response.results.map(hitSummary),
          ...(response.asOf !== undefined ? { asOf: response.asOf } : {}),
          ...(response.behind !== undefined ? { behind: response.behind } : {}),
        };
      }),
  );

  server.registerTool(
    "get_memory",
    {
      title: "Read one memory",
      description:
        "Returns one memory in full: its text and metadata, status (activated, archived, frozen…), revision, who created and last changed it and when. Give asOfTime or asOfRevision to read it as it was in the past.",
      inputSchema: { memoryId: id("the memory's id (from search_memories or add_memory)"), ...pointInTime, ...revisionInTime },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (input, extra) => toolOutcome(() => ledgerOf(extra).memories.get(input.memoryId, asOfOf(input))),
  );

  server.registerTool(
    "edit_memory",
    {
      title: "Correct or update a memory",
      description:
        "Changes an existing memory in place (only the fields you give) and returns it with its new revision; the previous wording stays in its history, so a change can be reverted. Use it when something remembered is wrong or out of date, rather than adding a contradicting memory.",
      inputSchema: {
        memoryId: id("the memory to change"),
        text: z.string().min(1).max(20_000).optional().describe("the corrected memory text, complete (it replaces the old text)"),
        key: z.string().min(1).max(200).nullable().optional().describe("a new short title; null removes it"),
        tags: tags.optional().describe("the new complete list of tags (replaces the old one)"),
        metadata: metadata.optional().describe("the new complete metadata (replaces the old one)"),
        memoryType: memoryType.optional(),
        confidence: z.number().min(0).max(1).optional().describe("how sure you now are, 0 to 1"),
        visibility: visibility.optional(),
        eventTime: isoTime("when the remembered thing happened").nullable().optional(),
        expectedRevision,
        reason,
      },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    (input, extra) =>
      toolOutcome(async () => {
        const content = defined({ text: input.text, key: input.key, tags: input.tags, metadata: input.metadata });
        const attributes = defined({ memoryType: input.memoryType, confidence: input.confidence, visibility: input.visibility, eventTime: input.eventTime });
        if (Object.keys(content).length === 0 && Object.keys(attributes).length === 0) {
          throw new InputProblem(`nothing to change in memory ${input.memoryId}: give text, key, tags, metadata, memoryType, confidence, visibility or eventTime`);
        }
        const edit: MemoryEdit = { ...(Object.keys(content).length > 0 ? { content } : {}), ...(Object.keys(attributes).length > 0 ? { attributes } : {}) } as MemoryEdit;
        return ledgerOf(extra).memories.edit(input.memoryId, edit, requestOptions(input.reason), writeOptions(input.expectedRevision));
      }),
  );

  server.registerTool(
    "archive_memory",
    {
      title: "Archive a memory",
      description:
        "Retires a memory that no longer holds (searches stop returning it) and returns it with status archived. Nothing is deleted: its history stays and restore_memory brings it back. Use it for facts that became untrue; prefer edit_memory when the memory only needs correcting.",
      inputSchema: { memoryId: id("the memory to archive"), expectedRevision, reason },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    },
    (input, extra) => toolOutcome(() => ledgerOf(extra).memories.archive(input.memoryId, requestOptions(input.reason), writeOptions(input.expectedRevision))),
  );

  server.registerTool(
    "restore_memory",
    {
      title: "Restore an archived memory",
      description: "Brings an archived memory back into use (searches return it again) and returns it with status activated. Use it when a memory was archived by mistake or holds again.",
      inputSchema: { memoryId: id("the archived memory to restore"), expectedRevision, reason },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    (input, extra) => toolOutcome(() => ledgerOf(extra).memories.restore(input.memoryId, requestOptions(input.reason), writeOptions(input.expectedRevision))),
  );

  server.registerTool(
    "revert_memory",
    {
      title: "Revert a memory to an earlier revision",
      description:
        "Restores a memory's content and attributes to what they were at an earlier revision (see memory_history) as a new revision, and returns the memory. Use it to undo a wrong edit.",
      inputSchema: {
        memoryId: id("the memory to revert"),
        toRevision: z.number().int().nonnegative().describe("the revision whose content to bring back (from memory_history)"),
        expectedRevision,
        reason,
      },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    (input, extra) => toolOutcome(() => ledgerOf(extra).memories.revert(input.memoryId, input.toRevision, requestOptions(input.reason), writeOptions(input.expectedRevision))),
  );

  server.registerTool(
    "memory_history",
    {
      title: "History of a memory",
      description:
        "Lists every change of a memory, oldest first: revision, what happened (created, edited, archived, reverted…), the fields changed, who did it, when and why. Use it to see how a memory came to say what it says, or to pick the revision for revert_memory.",
      inputSchema: { memoryId: id("the memory whose history to list") },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (input, extra) => toolOutcome(() => ledgerOf(extra).memories.history(input.memoryId)),
  );
}
