import type { FastifyRequest } from "fastify";
import { parseIfMatch, strongRevisions } from "./entityTags.js";

/** If-Match named no tag equal to the memory's current one (RFC 9110 §13.1.1): 412, unlike the body's expectedRevision (409 RevisionMismatch). */
export class PreconditionFailed extends Error {
  readonly _tag = "PreconditionFailed";
  constructor(
    readonly memoryId: string,
    readonly ifMatch: string,
    readonly actual: number,
  ) {
    super(`If-Match ${ifMatch} does not match memory ${memoryId}, which is at revision ${actual} (ETag "${actual}"; weak W/ tags never match); re-read it and send its ETag`);
  }
}

export class InvalidIfMatch extends Error {
  readonly _tag = "InvalidRequest";
  readonly field = "if-match";
  constructor(header: string, problem: string) {
    super(`If-Match header ${JSON.stringify(header)} cannot be parsed: ${problem}; send * or the memory's ETag, e.g. If-Match: "3"`);
  }
}

type Write<T> = (options: { expectedRevision?: number }) => Promise<T>;

/**
 * Runs a write under the request's preconditions: the body's expectedRevision
 * and the If-Match header, both when both are sent. A tag list is checked
 * against the current revision, which then guards the append, so a change in
 * between still fails the write.
 */
export async function conditionalWrite<T>(request: FastifyRequest, memoryId: string, bodyRevision: number | undefined, write: Write<T>): Promise<T> {
  const header = request.headers["if-match"];
  const text = Array.isArray(header) ? header.join(", ") : header;
  const withBody = bodyRevision !== undefined ? { expectedRevision: bodyRevision } : {};
  if (text === undefined || text === "") return write(withBody);
  const ifMatch = parseIfMatch(text);
  if ("problem" in ifMatch) throw new InvalidIfMatch(text, ifMatch.problem);
  if (ifMatch.any) return write(withBody);
  const current = (await request.ledger.memories.get(memoryId)).revision;
  // A stale body revision is reported as the 409 it always was, before the header is looked at.
  if (bodyRevision !== undefined && bodyRevision !== current) return write(withBody);
  const revisions = strongRevisions(ifMatch);
  const guarded = async (expectedRevision: number) => {
    try {
      return await write({ expectedRevision });
    } catch (error) {
      // Someone wrote between our read and our append: the tag no longer matches.
      if ((error as { _tag?: unknown })._tag === "RevisionMismatch") throw new PreconditionFailed(memoryId, text, (error as { actual: number }).actual);
      throw error;
    }
  };
  if (!revisions.includes(current)) {
    // A keyed retry of a write that applied moved the revision itself: the service answers it as the first time, or fails the tag.
    if (request.headers["idempotency-key"] !== undefined && revisions.length > 0) return guarded(revisions[0]!);
    throw new PreconditionFailed(memoryId, text, current);
  }
  if (bodyRevision !== undefined) return write(withBody);
  return guarded(current);
}
