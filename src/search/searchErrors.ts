import { Data } from "effect";

/** The request cannot be served as asked: 400 with what to change. */
export class InvalidSearch extends Data.TaggedError("InvalidSearch")<{ readonly message: string; readonly field: string }> {}

/** A retriever the mode needs is not configured (e.g. vector search without an embedder): 409. */
export class SearchModeUnavailable extends Data.TaggedError("SearchModeUnavailable")<{ readonly message: string; readonly mode: string }> {}

/**
 * The read model a search mode depends on cannot answer (its engine, Neo4j or
 * Qdrant, is down): 503. Hybrid search does not fail this way; it leaves the
 * retriever out and lists it under `degraded`.
 */
export class ReadModelEngineUnavailable extends Data.TaggedError("ReadModelEngineUnavailable")<{ readonly message: string; readonly readModel: string }> {}
