import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { foldCube } from "../../domain/cube/cubeState.js";
import type { CubeEvent } from "../../domain/cube/cubeEvents.js";
import { projectMemory } from "../../projections/memoryView.js";
import type { RecordedEvent } from "../../src/eventStore/eventStorePort.js";
import { decodeMemoryEvent } from "../../src/memory/memoryEventCodec.js";

/**
 * Events stored by memledger 0.1.0 (schema v1), frozen in events-v1.json.
 * The current code must read them forever: a failing test here means an
 * upcaster is missing, not that the corpus should be regenerated.
 */
const corpus = JSON.parse(readFileSync(join(import.meta.dirname, "events-v1.json"), "utf8")) as { keys: Record<string, string>; events: RecordedEvent[] };
const keys = new Map(Object.entries(corpus.keys).map(([id, b64]) => [id, Buffer.from(b64, "base64")]));

function unit(memoryId: string) {
  const decoded = corpus.events
    .filter((e) => e.streamId === `memory-${memoryId}`)
    .map((e) => decodeMemoryEvent(e, e.metadata.keyId ? (keys.get(e.metadata.keyId) ?? null) : null));
  return projectMemory(decoded).view!;
}

describe("golden corpus v1 replays with the current code", () => {
  it("rebuilds an edited, merged and reverted unit", () => {
    const a = unit("g-4");
    expect(a).toMatchObject({ status: "activated", version: 3, revision: 4, subjectId: "ann" });
    expect(a.content).toEqual({ text: "Ann likes jasmine tea", key: "tea", tags: ["drinks"], sources: [{ kind: "message", ref: "D1:3" }], userId: "ann", metadata: { lang: "en" } });
    expect(a.attributes.confidence).toBe(0.9);
    expect(a.successorId).toBeUndefined();
  });

  it("rebuilds a frozen unit and an erased one whose key is gone", () => {
    const b = unit("g-12");
    expect(b).toMatchObject({ status: "frozen", frozen: { reason: "legal_hold", note: "case 1" }, content: { text: "Ann drinks tea daily" } });
    const c = unit("g-28");
    expect(c).toMatchObject({ status: "erased", content: null, subjectId: "zed" });
  });

  it("rebuilds the cube and keeps global positions strictly increasing", () => {
    const cube = foldCube(corpus.events.filter((e) => e.streamId === "cube-golden").map((e) => ({ type: e.type, data: e.data }) as CubeEvent));
    expect(cube?.memoryIds).toEqual(["g-4", "g-12", "g-28"]);
    const positions = corpus.events.map((e) => e.position);
    expect(positions.every((p, i) => i === 0 || p > positions[i - 1]!)).toBe(true);
  });
});

describe("golden corpus v1 (processing failures) replays with the current code", () => {
  const processing = JSON.parse(readFileSync(join(import.meta.dirname, "events-v1-processing.json"), "utf8")) as { keys: Record<string, string>; events: RecordedEvent[] };
  const processingKeys = new Map(Object.entries(processing.keys).map(([id, b64]) => [id, Buffer.from(b64, "base64")]));
  const stream = processing.events.filter((e) => e.streamId.startsWith("memory-"));
  const decoded = stream.map((e) => decodeMemoryEvent(e, e.metadata.keyId ? (processingKeys.get(e.metadata.keyId) ?? null) : null));

  it("shows the failure on the generated unit, and clears it on activation", () => {
    expect(decoded.map((d) => d.event.type)).toEqual(["MemoryCreated", "MemoryProcessingFailed", "MemoryActivated"]);
    const failed = projectMemory(decoded.slice(0, 2)).view!;
    expect(failed).toMatchObject({ status: "generated", processingFailure: { attempt: 1, error: "embed: embedder unavailable", willRetry: true }, content: { text: "Ann plays the cello" } });
    const activated = projectMemory(decoded).view!;
    expect(activated.status).toBe("activated");
    expect(activated.processingFailure).toBeUndefined();
  });
});
