import type { CubeGrant } from "../../domain/governance/accessState.js";
import { provenanceOf, type DecodedMemoryEvent } from "../../projections/envelope.js";
import type { MemoryView } from "../../projections/memoryView.js";
import type { CubeView } from "../cube/cubeService.js";
import { interchangeFormat, type ExportedEvent, type ExportedMetadata, type ExportOptions, type InterchangeRecord, type Unhashed } from "./interchangeRecords.js";
import { RecordSealer } from "./recordHashing.js";

/** What an export reads from the source instance (trusted: the facade checked `cube.export` first). */
export interface CubeExportSources {
  /** Stable per event log. */
  instanceId(): Promise<string>;
  cube(cubeId: string): Promise<CubeView>;
  /** The cube's units in registration order. */
  unitIds(cubeId: string): Promise<readonly string[]>;
  /** Every event of the unit, content decrypted where its key exists (null where shredded). */
  unitEvents(memoryId: string): Promise<readonly DecodedMemoryEvent[]>;
  unitNow(memoryId: string): Promise<MemoryView>;
  grants(cubeId: string): Promise<readonly CubeGrant[]>;
  embeddingModel(): string | null;
  now(): string;
}

export interface ExportSummary {
  readonly units: number;
  readonly events: number;
  readonly memoryIds: readonly string[];
}

/**
 * The event's provenance as history shows it (so a new provenance field reaches exports too), minus
 * `importedFrom` (the importer writes its own), plus the tenant and, unless the unit was erased, the subject:
 * an erased unit keeps its timeline but nothing that could name whose it was.
 */
function exportedMetadata(m: DecodedMemoryEvent["envelope"]["metadata"], erased: boolean): ExportedMetadata {
  const { importedFrom: _importersOwn, ...provenance } = provenanceOf(m);
  return { tenantId: m.tenantId, ...provenance, ...(!erased && m.subjectId !== undefined ? { subjectId: m.subjectId } : {}) };
}

function exportedEvent(decoded: DecodedMemoryEvent, erased: boolean): ExportedEvent {
  const { envelope, event } = decoded;
  const data = { ...(event.data as Record<string, unknown>) };
  // Content of an erased unit is unreadable already; the key id it names is the source's own and means nothing elsewhere.
  if (erased && "content" in data) data.content = null;
  if (event.type === "MemoryErased") delete data.keyId;
  return { eventId: envelope.eventId, type: envelope.type, schemaVersion: envelope.schemaVersion, revision: envelope.revision, position: envelope.position, data, metadata: exportedMetadata(envelope.metadata, erased) };
}

/**
 * The records of a cube export, in file order. Reads one unit at a time, so a
 * large cube streams in constant memory (one unit's history at most).
 */
export async function* exportCubeRecords(
  sources: CubeExportSources,
  cubeId: string,
  options: ExportOptions,
  exportedBy: string,
  summary?: { done(summary: ExportSummary): void },
): AsyncGenerator<InterchangeRecord> {
  const sealer = new RecordSealer();
  const seal = <R extends InterchangeRecord>(record: Unhashed<R>) => sealer.seal<R>(record);
  const cube = await sources.cube(cubeId);
  const currentState = options.currentState === true;
  const includeGrants = options.includeGrants === true;
  yield seal({
    kind: "manifest",
    format: interchangeFormat,
    sourceInstanceId: await sources.instanceId(),
    exportedAt: sources.now(),
    exportedBy,
    cubeId,
    options: { currentState, includeGrants },
    embeddingModel: sources.embeddingModel(),
  });
  yield seal({
    kind: "cube",
    cubeId,
    name: cube.name,
    owner: cube.owner,
    ...(cube.description !== undefined ? { description: cube.description } : {}),
    ...(cube.branchedFrom !== undefined ? { branchedFrom: cube.branchedFrom } : {}),
    createdAt: cube.createdAt,
    createdBy: cube.createdBy,
  });
  let units = 0;
  let events = 0;
  const memoryIds: string[] = [];
  for (const memoryId of await sources.unitIds(cubeId)) {
    const history = await sources.unitEvents(memoryId);
    // A registration whose unit never got written (a crash between the two appends) has nothing to carry.
    if (history.length === 0) continue;
    const erased = history.some((e) => e.event.type === "MemoryErased");
    units += 1;
    memoryIds.push(memoryId);
    if (currentState) {
      const view = await sources.unitNow(memoryId);
      events += 1;
      yield seal({
        kind: "unitState",
        memoryId,
        status: view.status,
        content: erased ? null : view.content,
        attributes: view.attributes,
        ...(view.successorId !== undefined ? { successorId: view.successorId } : {}),
        ...(!erased && view.subjectId !== undefined ? { subjectId: view.subjectId } : {}),
        revision: view.revision,
        createdAt: view.createdAt,
        createdBy: view.createdBy,
        updatedAt: view.updatedAt,
        updatedBy: view.updatedBy,
      });
      continue;
    }
    events += history.length;
    yield seal({ kind: "unit", memoryId, erased, events: history.map((e) => exportedEvent(e, erased)) });
  }
  if (includeGrants) for (const grant of await sources.grants(cubeId)) yield seal({ kind: "grant", grant });
  const records = sealer.count;
  yield seal({ kind: "trailer", records, units, events, digest: sealer.finish() });
  summary?.done({ units, events, memoryIds });
}

/** One JSON line per record. */
export async function* recordLines(records: AsyncIterable<InterchangeRecord>): AsyncGenerator<string> {
  for await (const record of records) yield `${JSON.stringify(record)}\n`;
}
