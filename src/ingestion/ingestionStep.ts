import { Context, Layer } from "effect";
import type { MemoryView } from "../../projections/memoryView.js";

/**
 * One piece of the slow work done on a generated unit before it is activated
 * (MemReader extraction, embedding, indexing). Steps must be idempotent: a job
 * that crashed runs them again. A step that throws leaves the unit generated,
 * records the error on the unit, and the job retries.
 */
export interface IngestionStep {
  readonly name: string;
  run(unit: MemoryView, context: { readonly signal: AbortSignal }): Promise<void>;
}

export class IngestionSteps extends Context.Tag("memledger/IngestionSteps")<IngestionSteps, readonly IngestionStep[]>() {}

export const layerIngestionSteps = (steps: readonly IngestionStep[]) => Layer.succeed(IngestionSteps, steps);
