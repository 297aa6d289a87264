import { searchableText } from "../../projections/memoryIntervals.js";
import type { Embedder } from "../embedding/embedderPort.js";
import type { IngestionStep } from "./ingestionStep.js";

/**
 * Ingestion step: embed a generated unit before it is activated. The vector
 * goes to the embedding cache (the embedder given here is the cached one), so
 * when the activation event reaches the vector read model its embedding is
 * already there: a unit becomes retrievable as soon as it is activated, and a
 * slow or failing embedder keeps the unit generated with the error recorded.
 */
export function embeddingStep(embedder: Embedder): IngestionStep {
  return {
    name: "embed",
    run: async (unit) => {
      if (unit.content === null) return;
      await embedder.embed([searchableText(unit.content)]);
    },
  };
}
