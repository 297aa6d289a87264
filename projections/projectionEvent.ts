import type { CubeEvent } from "../domain/cube/cubeEvents.js";
import type { MemoryEvent } from "../domain/memory/memoryEvents.js";
import type { Envelope } from "./envelope.js";

/**
 * What a read model's projection receives: one stored event, decoded. Memory
 * events arrive decrypted where their data key still exists (content is null
 * when it was shredded); events a read model does not know come as `other`
 * so every projection still advances its checkpoint past them.
 */
export type ProjectionEvent =
  | { readonly kind: "memory"; readonly envelope: Envelope; readonly event: MemoryEvent }
  | { readonly kind: "cube"; readonly envelope: Envelope; readonly event: CubeEvent }
  | { readonly kind: "other"; readonly envelope: Envelope };

/** A moment of the log: "as of" a global position or a recorded time (ISO-8601). */
export type LogMoment = { readonly position: number } | { readonly time: string };
