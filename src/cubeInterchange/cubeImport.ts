import { cubeRegistryStreamId, cubeStreamId } from "../../domain/cube/cubeEvents.js";
import type { MemoryAttributes, MemoryContent } from "../../domain/memory/memoryContent.js";
import { isMemoryEventType, memoryEventCatalog, memoryStreamId, type MemoryEvent } from "../../domain/memory/memoryEvents.js";
import { fold } from "../../domain/memory/evolve.js";
import type { ImportedFrom } from "../../projections/envelope.js";
import type { EventMetadata, ExpectedRevision, NewEvent } from "../eventStore/eventStorePort.js";
import { nameBasedId } from "../ids/nameBasedId.js";
import { encodeMemoryEvent } from "../memory/memoryEventCodec.js";
import type { CommandContext } from "../command/commandContext.js";
import { fileRejected, idConflict } from "./interchangeErrors.js";
import { interchangeFormat, type CubeRecord, type ExportedEvent, type InterchangeRecord, type ManifestRecord, type TrailerRecord, type UnitHistoryRecord, type UnitStateRecord } from "./interchangeRecords.js";
import { recordProblem } from "./interchangeSchemas.js";
import { RecordVerifier } from "./recordHashing.js";
import { spoolLines } from "./interchangeSpool.js";

/** What the importer needs of the target instance (trusted: the facade checked `cube.create` first). */
export interface CubeImportTarget {
  /** Event ids of a stream in order; empty when the stream does not exist. */
  streamEventIds(streamId: string): Promise<readonly string[]>;
  append(streamId: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<void>;
  /** The data key stored under keyId; with `create`, a new one when there is none. Null: none (destroyed by an erasure here). */
  keyFor(keyId: string, subjectId: string, create: boolean): Promise<Buffer | null>;
  /** After a unit's stream was written around the repository. */
  forget(memoryId: string): void;
  embeddingModel(): string | null;
  now(): string;
}

export interface ImportOptions {
  /** An id of the file already taken here by something else: `fail` (default) or give the file's cube/unit a new id. */
  readonly onConflict?: "fail" | "remap";
  /** Report progress every this many units (default 100). */
  readonly progressEvery?: number;
  readonly onProgress?: (progress: ImportProgress) => void;
  /** Asked once the target cube id is known, before anything is written: `exists` when an earlier import made it. */
  readonly authorizeCube?: (cubeId: string, exists: boolean) => Promise<void>;
}

export interface ImportProgress {
  readonly units: number;
  readonly ofUnits: number;
  readonly events: number;
}

export interface IdRemap {
  readonly kind: "cube" | "memory";
  readonly from: string;
  readonly to: string;
}

export interface ImportReport {
  readonly format: typeof interchangeFormat;
  readonly mode: "history" | "currentState";
  readonly sourceInstanceId: string;
  readonly sourceCubeId: string;
  readonly cubeId: string;
  readonly remapped: readonly IdRemap[];
  readonly units: { readonly imported: number; readonly alreadyPresent: number; readonly diverged: readonly string[] };
  readonly events: { readonly appended: number; readonly alreadyPresent: number };
  /** Vectors never travel: the target's vector read model embeds every imported unit with its own model. */
  readonly embedding: { readonly source: string | null; readonly target: string | null; readonly reembedded: boolean };
  readonly grantsInFile: number;
}

interface Parsed {
  readonly manifest: ManifestRecord;
  readonly cube: CubeRecord;
  readonly unitIds: readonly string[];
  readonly grants: number;
}

/** Units written at once (each atomically): enough for the stores' group commits to share disk flushes. */
const concurrentUnits = 16;

/** Pass one: every record parses, fits its schema, matches its hash and sequence; the trailer's counts and digest agree. */
async function verify(lines: AsyncIterable<string>): Promise<Parsed> {
  const verifier = new RecordVerifier();
  let manifest: ManifestRecord | undefined;
  let cube: CubeRecord | undefined;
  let trailer: TrailerRecord | undefined;
  const unitIds: string[] = [];
  let events = 0;
  let grants = 0;
  let line = 0;
  for await (const text of lines) {
    line += 1;
    if (trailer !== undefined) throw fileRejected(line, "comes after the trailer (records were appended to the file)");
    let record: InterchangeRecord;
    try {
      record = JSON.parse(text) as InterchangeRecord;
    } catch {
      throw fileRejected(line, "is not JSON");
    }
    const problem = recordProblem(record);
    if (problem !== undefined) throw fileRejected(line, problem);
    const tampered = verifier.check(record as unknown as Record<string, unknown>);
    if (tampered !== undefined) throw fileRejected(line, `(${describe(record)}) ${tampered}`);
    if (line === 1 && record.kind !== "manifest") throw fileRejected(line, "is not a manifest: a memledger-cube/1 file starts with one");
    if (line === 2 && record.kind !== "cube") throw fileRejected(line, "is not the cube record that follows the manifest");
    switch (record.kind) {
      case "manifest":
        if (line !== 1) throw fileRejected(line, "is a second manifest");
        manifest = record;
        break;
      case "cube":
        if (line !== 2) throw fileRejected(line, "is a second cube record");
        cube = record;
        break;
      case "unit":
      case "unitState":
        if ((record.kind === "unitState") !== manifest!.options.currentState) throw fileRejected(line, `is a ${record.kind} record in a file whose manifest says currentState ${manifest!.options.currentState}`);
        if (record.kind === "unit" && record.events.some((e) => e.data.memoryId !== record.memoryId)) throw fileRejected(line, `holds an event of another unit than ${record.memoryId}`);
        if (record.kind === "unit") {
          const problem = historyProblem(record);
          if (problem !== undefined) throw fileRejected(line, `(unit ${record.memoryId}) ${problem}`);
        }
        unitIds.push(record.memoryId);
        events += record.kind === "unit" ? record.events.length : 1;
        break;
      case "grant":
        grants += 1;
        break;
      case "trailer":
        trailer = record;
        break;
    }
  }
  if (manifest === undefined || cube === undefined) throw fileRejected(undefined, "is empty or has no manifest and cube record");
  if (trailer === undefined) throw fileRejected(undefined, `has no trailer after line ${line} (the file was cut short)`);
  const digest = verifier.finish();
  if (trailer.records !== line - 1 || trailer.units !== unitIds.length || trailer.events !== events) {
    throw fileRejected(line, `(the trailer) counts ${trailer.records} records, ${trailer.units} units and ${trailer.events} events where the file holds ${line - 1}, ${unitIds.length} and ${events}`);
  }
  if (trailer.digest !== digest) throw fileRejected(line, "(the trailer) states a digest the records do not have (records were rehashed after export)");
  return { manifest, cube, unitIds, grants };
}

/** A history this version can store as is: known event types at their current schema, in revision order, folding into a unit. */
function historyProblem(record: UnitHistoryRecord): string | undefined {
  for (const [i, e] of record.events.entries()) {
    if (!isMemoryEventType(e.type)) return `holds an event of type ${e.type} this version of memledger does not know; upgrade memledger`;
    if (e.schemaVersion !== memoryEventCatalog[e.type].schemaVersion) return `holds ${e.type} v${e.schemaVersion} where this version stores v${memoryEventCatalog[e.type].schemaVersion}; import with the same memledger version as the export`;
    if (e.revision !== i) return `lists revision ${e.revision} at place ${i}: a unit's history is whole and in order`;
  }
  if (record.events[0]!.type !== "MemoryCreated") return "does not start with MemoryCreated";
  try {
    const state = fold(record.events.map((e) => ({ type: e.type, data: e.data }) as MemoryEvent));
    if (state.status === "absent") return "does not fold into a unit";
  } catch (error) {
    return `does not fold into a unit (${error instanceof Error ? error.message : String(error)})`;
  }
  return undefined;
}

function describe(record: InterchangeRecord): string {
  if (record.kind === "unit" || record.kind === "unitState") return `${record.kind} ${record.memoryId}`;
  if (record.kind === "cube") return `cube ${record.cubeId}`;
  return record.kind;
}

/** Current-state import: the events that bring a new unit to the recorded status. */
function stateEvents(record: UnitStateRecord, memoryId: string, cubeId: string, keyId: string, successorOf: (id: string) => string): MemoryEvent[] {
  const created: MemoryEvent = { type: "MemoryCreated", data: { memoryId, cubeId, content: record.content as MemoryContent | null, attributes: record.attributes as MemoryAttributes } };
  const activated: MemoryEvent = { type: "MemoryActivated", data: { memoryId } };
  switch (record.status) {
    case "generated":
      return [created];
    case "activated":
      return [created, activated];
    case "archived":
      return [created, activated, { type: "MemoryArchived", data: { memoryId } }];
    case "frozen":
      return [created, activated, { type: "MemoryFrozen", data: { memoryId, reason: "other", note: "frozen in the source instance" } }];
    case "merged":
      return [created, activated, { type: "MemoryMerged", data: { memoryId, successorId: successorOf(record.successorId ?? "") } }];
    case "erased":
      return [{ ...created, data: { ...created.data, content: null } } as MemoryEvent, activated, { type: "MemoryErased", data: { memoryId, scope: "memory", keyId } }];
  }
}

/** The file's ids in this data: memory and cube ids inside event data follow the remap. */
function remapData(data: Record<string, unknown>, cubeId: string, memoryId: string, idOf: (id: string) => string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...data, memoryId };
  if ("cubeId" in out) out.cubeId = cubeId;
  if (typeof out.successorId === "string") out.successorId = idOf(out.successorId);
  return out;
}

/**
 * Imports a verified interchange file into the target. Every id it writes
 * (events, registrations, keys, remapped ids) is derived from the target
 * tenant, the source instance and the source's own ids, so running it again —
 * after a crash half-way or on a finished import — writes only what is missing.
 */
export async function importCube(target: CubeImportTarget, input: AsyncIterable<string> | Iterable<string>, ctx: CommandContext, options: ImportOptions = {}): Promise<ImportReport> {
  const spool = await spoolLines(input);
  try {
    const parsed = await verify(spool.lines());
    return await write(target, parsed, spool.lines(), ctx, options);
  } finally {
    await spool.remove();
  }
}

async function write(target: CubeImportTarget, parsed: Parsed, lines: AsyncIterable<string>, ctx: CommandContext, options: ImportOptions): Promise<ImportReport> {
  const { manifest, cube } = parsed;
  const instance = manifest.sourceInstanceId;
  const scope = `import:${ctx.tenantId}:${instance}`;
  const idFor = (name: string) => nameBasedId(`${scope}:${name}`);
  const remapped: IdRemap[] = [];
  const onConflict = options.onConflict ?? "fail";

  /** The source's id if free or already this import's; else the remapped id (or a conflict). */
  const place = async (kind: "cube" | "memory", id: string, streamOf: (id: string) => string, firstEventId: (id: string) => string): Promise<string> => {
    const stored = await target.streamEventIds(streamOf(id));
    if (stored.length === 0 || stored[0] === firstEventId(id)) return id;
    if (onConflict === "fail") throw idConflict(kind, id);
    const other = nameBasedId(`${scope}:remap:${kind}:${id}`);
    const there = await target.streamEventIds(streamOf(other));
    if (there.length > 0 && there[0] !== firstEventId(other)) throw idConflict(kind, other);
    remapped.push({ kind, from: id, to: other });
    return other;
  };

  const cubeCreatedId = (cubeId: string) => idFor(`cube-created:${cubeId}`);
  const cubeId = await place("cube", cube.cubeId, cubeStreamId, cubeCreatedId);
  const cubeExists = (await target.streamEventIds(cubeStreamId(cubeId))).length > 0;
  await options.authorizeCube?.(cubeId, cubeExists);
  // Every unit's first event id is known before any is written, so a remap is decided once for the whole file.
  const firstEventIds = new Map<string, string>();
  const unitFirstEventId = (sourceId: string) => (targetId: string) => idFor(`unit-first:${sourceId}:${targetId}`);
  const memoryIds = new Map<string, string>();
  for (const sourceId of parsed.unitIds) memoryIds.set(sourceId, await place("memory", sourceId, memoryStreamId, unitFirstEventId(sourceId)));
  for (const [sourceId, targetId] of memoryIds) firstEventIds.set(sourceId, unitFirstEventId(sourceId)(targetId));
  const idOf = (sourceId: string) => memoryIds.get(sourceId) ?? sourceId;

  const now = target.now();
  const correlationId = idFor(`run:${manifest.sha256}`);
  const metadataOf = (from: ImportedFrom, scopeFields: { subjectId?: string; keyId?: string }): EventMetadata => ({
    tenantId: ctx.tenantId,
    cubeId,
    actor: ctx.actor,
    ...(ctx.onBehalfOf !== undefined ? { onBehalfOf: ctx.onBehalfOf } : {}),
    reason: ctx.reason ?? `import of cube ${cube.cubeId} from instance ${instance} (${manifest.format})`,
    correlationId: ctx.correlationId ?? correlationId,
    ...(scopeFields.subjectId !== undefined ? { subjectId: scopeFields.subjectId } : {}),
    ...(scopeFields.keyId !== undefined ? { keyId: scopeFields.keyId } : {}),
    recordedAt: now,
    importedFrom: from,
  });
  const cubeFrom: ImportedFrom = { instanceId: instance, cubeId: cube.cubeId, actor: cube.createdBy, recordedAt: cube.createdAt };

  // Registry first, then the cube, as a create does: a cube that exists is always listed.
  await target.append(cubeRegistryStreamId(ctx.tenantId), [{ eventId: idFor(`cube-registered:${cubeId}`), type: "CubeRegistered", schemaVersion: 1, data: { cubeId }, metadata: metadataOf(cubeFrom, {}) }], "any");
  if (!cubeExists) {
    const data = { cubeId, name: cube.name, owner: cube.owner, ...(cube.description !== undefined ? { description: cube.description } : {}), ...(cube.branchedFrom !== undefined ? { branchedFrom: cube.branchedFrom } : {}) };
    await target.append(cubeStreamId(cubeId), [{ eventId: cubeCreatedId(cubeId), type: "CubeCreated", schemaVersion: 1, data, metadata: metadataOf(cubeFrom, {}) }], "no_stream");
  }

  let imported = 0;
  let alreadyPresent = 0;
  const diverged: string[] = [];
  let appended = 0;
  let eventsPresent = 0;
  let done = 0;
  const every = Math.max(1, options.progressEvery ?? 100);

  const importUnit = async (record: UnitHistoryRecord | UnitStateRecord) => {
    const sourceId = record.memoryId;
    const memoryId = idOf(sourceId);
    const sourceSubject = record.kind === "unit" ? record.events[0]!.metadata.subjectId : record.subjectId;
    // A cube-wide subject follows the cube to its new id; a person's subject id stays theirs.
    const subjectId = sourceSubject === undefined || sourceSubject === `cube:${cube.cubeId}` ? `cube:${cubeId}` : sourceSubject;
    const keyId = idFor(`key:${memoryId}`);
    const erased = record.kind === "unit" ? record.erased : record.status === "erased";

    const planned: { event: MemoryEvent; eventId: string; from: ImportedFrom }[] =
      record.kind === "unit"
        ? record.events.map((e, i) => ({
            event: { type: e.type, data: remapData(e.type === "MemoryErased" ? { ...e.data, keyId } : e.data, cubeId, memoryId, idOf) } as MemoryEvent,
            eventId: i === 0 ? firstEventIds.get(sourceId)! : idFor(`event:${e.eventId}:${memoryId}`),
            from: {
              instanceId: instance,
              cubeId: cube.cubeId,
              memoryId: sourceId,
              eventId: e.eventId,
              revision: e.revision,
              position: e.position,
              actor: e.metadata.actor,
              recordedAt: e.metadata.recordedAt,
              ...(e.metadata.onBehalfOf !== undefined ? { onBehalfOf: e.metadata.onBehalfOf } : {}),
              ...(e.metadata.reason !== undefined ? { reason: e.metadata.reason } : {}),
              correlationId: e.metadata.correlationId,
              ...(e.metadata.causationId !== undefined ? { causationId: e.metadata.causationId } : {}),
              ...(e.metadata.commandId !== undefined ? { commandId: e.metadata.commandId } : {}),
              ...(e.metadata.automation !== undefined ? { automation: e.metadata.automation } : {}),
            },
          }))
        : stateEvents(record, memoryId, cubeId, keyId, idOf).map((event, i) => ({
            event,
            eventId: i === 0 ? firstEventIds.get(sourceId)! : idFor(`state:${sourceId}:${record.revision}:${i}:${memoryId}`),
            from: { instanceId: instance, cubeId: cube.cubeId, memoryId: sourceId, revision: record.revision, actor: record.updatedBy, recordedAt: record.updatedAt },
          }));

    // Register before the unit's stream, as a create does; the registration's id makes a retry a no-op.
    await target.append(cubeStreamId(cubeId), [{ eventId: idFor(`registered:${cubeId}:${memoryId}`), type: "CubeMemoryRegistered", schemaVersion: 1, data: { cubeId, memoryId }, metadata: metadataOf({ ...cubeFrom, memoryId: sourceId }, {}) }], "any");

    const stored = await target.streamEventIds(memoryStreamId(memoryId));
    const common = stored.findIndex((id, i) => id !== planned[i]?.eventId);
    const matching = common < 0 ? Math.min(stored.length, planned.length) : common;
    if (matching < stored.length && matching < planned.length) {
      // The unit changed here since an earlier import of an older export: its history here is kept as it is.
      diverged.push(memoryId);
    } else if (matching >= planned.length) {
      alreadyPresent += 1;
      eventsPresent += planned.length;
    } else {
      const rest = planned.slice(matching);
      // The key is made before a unit's first append; a unit already here without one was erased here, and stays so.
      const sealsContent = !erased && rest.some((p) => "content" in p.event.data && (p.event.data as { content: unknown }).content !== null);
      const material = sealsContent ? await target.keyFor(keyId, subjectId, stored.length === 0) : Buffer.alloc(0);
      if (material === null) diverged.push(memoryId);
      else {
        const events = rest.map((p) => encodeMemoryEvent(p.event, p.eventId, metadataOf(p.from, { keyId, ...(erased ? {} : { subjectId }) }), { keyId, material }));
        await target.append(memoryStreamId(memoryId), events, stored.length === 0 ? "no_stream" : stored.length - 1);
        target.forget(memoryId);
        if (matching === 0) imported += 1;
        else alreadyPresent += 1;
        appended += events.length;
        eventsPresent += matching;
      }
    }
  };

  // Units are independent and each is written atomically: a few at a time let the log and the key store
  // commit their writes together (group commit) instead of one disk flush per unit.
  let batch: (UnitHistoryRecord | UnitStateRecord)[] = [];
  const flush = async () => {
    await Promise.all(batch.map(importUnit));
    for (const _ of batch) {
      done += 1;
      if (done % every === 0 || done === parsed.unitIds.length) options.onProgress?.({ units: done, ofUnits: parsed.unitIds.length, events: appended + eventsPresent });
    }
    batch = [];
  };
  for await (const text of lines) {
    const record = JSON.parse(text) as InterchangeRecord;
    if (record.kind !== "unit" && record.kind !== "unitState") continue;
    batch.push(record);
    // Never more at once than a progress step, so a report means every unit before it is written.
    if (batch.length >= Math.min(concurrentUnits, every)) await flush();
  }
  await flush();

  const targetModel = target.embeddingModel();
  return {
    format: interchangeFormat,
    mode: manifest.options.currentState ? "currentState" : "history",
    sourceInstanceId: instance,
    sourceCubeId: cube.cubeId,
    cubeId,
    remapped,
    units: { imported, alreadyPresent, diverged },
    events: { appended, alreadyPresent: eventsPresent },
    embedding: { source: manifest.embeddingModel, target: targetModel, reembedded: targetModel !== null && targetModel !== manifest.embeddingModel },
    grantsInFile: parsed.grants,
  };
}
