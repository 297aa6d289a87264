import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { seal } from "../src/crypto/contentCipher.js";
import type { EventMetadata, NewEvent } from "../src/eventStore/eventStorePort.js";
import { uuidv7 } from "../src/ids/idGenerator.js";

/**
 * Events shaped like the ones the memory service writes for an edit: the
 * content sealed with AES-256-GCM (so the data is incompressible base64 of
 * realistic size) and the full metadata envelope.
 */
const variants = 64;
const keyId = uuidv7();
const key = randomBytes(32);

const sampleTexts = Array.from(
  { length: variants },
  (_, i) =>
    `User prefers concise answers with code samples in TypeScript; works on the billing service (note ${i}), ` +
    `timezone Europe/Berlin, asked to avoid meetings before 10:00 and to summarise long threads.`,
);

const dataPool: unknown[] = sampleTexts.map((text, i) => ({
  memoryId: `mem-${i}`,
  changes: ["text", "tags"],
  content: seal({ text, tags: ["preference", "work"], sources: [], metadata: {} }, keyId, key),
}));

export function benchMetadata(): EventMetadata {
  return {
    tenantId: "tenant-bench",
    cubeId: "cube-bench",
    actor: "agent:bench",
    correlationId: uuidv7(),
    subjectId: "user-bench",
    keyId,
    recordedAt: new Date().toISOString(),
  };
}

/** `count` distinct events (unique ids, rotating payload variants); built before any timing starts. */
export function makeEvents(count: number): NewEvent[] {
  const metadata = benchMetadata();
  const events: NewEvent[] = new Array(count);
  for (let i = 0; i < count; i += 1) {
    events[i] = { eventId: uuidv7(), type: "MemoryEdited", schemaVersion: 1, data: dataPool[i % variants], metadata: { ...metadata, correlationId: uuidv7() } };
  }
  return events;
}

export function payloadSizes(): { data: number; metadata: number } {
  const [event] = makeEvents(1);
  return { data: JSON.stringify(event!.data).length, metadata: JSON.stringify(event!.metadata).length };
}

/** Temp directories on the same filesystem as os.tmpdir() (BENCH_DIR overrides). */
export function tempDir(label: string): string {
  return mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), `memledger-bench-${label}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
