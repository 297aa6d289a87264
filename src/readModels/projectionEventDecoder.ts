import { Effect } from "effect";
import { cubeEventCatalog, type CubeEvent } from "../../domain/cube/cubeEvents.js";
import { isMemoryEventType } from "../../domain/memory/memoryEvents.js";
import type { ProjectionEvent } from "../../projections/projectionEvent.js";
import type { KeyRing } from "../crypto/keyRing.js";
import type { RecordedEvent } from "../eventStore/eventStorePort.js";
import { decodeMemoryEvent } from "../memory/memoryEventCodec.js";

const memoryStreamPrefix = "memory-";
const cubeStreamPrefix = "cube-";

/** Stored events -> projection input: memory events opened with their data key (null content once shredded). */
export async function decodeForProjection(keyRing: KeyRing, recorded: readonly RecordedEvent[]): Promise<ProjectionEvent[]> {
  const materials = await keyMaterials(keyRing, recorded);
  const out: ProjectionEvent[] = [];
  for (const event of recorded) {
    const { eventId, type, schemaVersion, streamId, revision, position, metadata } = event;
    const envelope = { eventId, type, schemaVersion, streamId, revision, position, metadata };
    if (streamId.startsWith(memoryStreamPrefix) && isMemoryEventType(type)) {
      let decoded;
      try {
        decoded = decodeMemoryEvent(event, metadata.keyId === undefined ? null : materials.get(metadata.keyId)!);
      } catch (error) {
        // An erasure may destroy the key between fetching it and opening the content (the key ring zero-fills the
        // material it forgets): asked again, a destroyed key reads as shredded content; any other failure is real.
        if (metadata.keyId !== undefined && (await Effect.runPromise(keyRing.material(metadata.keyId))) !== null) throw error;
        decoded = decodeMemoryEvent(event, null);
      }
      out.push({ kind: "memory", envelope: decoded.envelope, event: decoded.event });
    } else if (streamId.startsWith(cubeStreamPrefix) && Object.prototype.hasOwnProperty.call(cubeEventCatalog, type) && type !== "CubeRegistered") {
      out.push({ kind: "cube", envelope, event: { type, data: event.data } as CubeEvent });
    } else {
      out.push({ kind: "other", envelope });
    }
  }
  return out;
}

/** Each data key the batch's memory events name, asked of the key ring once per batch (a unit's events share one key). */
async function keyMaterials(keyRing: KeyRing, recorded: readonly RecordedEvent[]): Promise<Map<string, Buffer | null>> {
  const materials = new Map<string, Buffer | null>();
  for (const { streamId, metadata } of recorded) {
    const { keyId } = metadata;
    if (keyId === undefined || materials.has(keyId) || !streamId.startsWith(memoryStreamPrefix)) continue;
    materials.set(keyId, await Effect.runPromise(keyRing.material(keyId)));
  }
  return materials;
}
