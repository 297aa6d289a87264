import { createHash } from "node:crypto";
import type { MemoryEvent } from "../../../domain/memory/memoryEvents.js";
import type { ProjectionEvent } from "../../../projections/projectionEvent.js";
import { canonicalJson } from "../../command/canonicalJson.js";
import type { ReadModelStore } from "../readModelStore.js";
import { applyInTransaction, checkpointMembers, openReadModelDb, purgeWriteAheadLog, type SqliteDb } from "../sqliteReadModelDb.js";
import type { ChangeRow, ErasureRow, KnowledgeRow, LineageRow } from "./reportRows.js";

export const complianceReadModel = "compliance";
const projectionVersion = 1;

export interface ChangeQuery {
  readonly tenantId: string;
  readonly actor?: string;
  readonly cubeId?: string;
  readonly memoryId?: string;
  readonly subjectId?: string;
  readonly type?: string;
  /** Inclusive ISO-8601 bounds on recordedAt. */
  readonly from?: string;
  readonly to?: string;
  /** Rows after this log position. */
  readonly after?: number;
  readonly limit: number;
}

export interface ErasureQuery {
  readonly tenantId: string;
  readonly from?: string;
  readonly to?: string;
  readonly after?: number;
  readonly limit: number;
}

export interface ComplianceStore extends ReadModelStore {
  changes(query: ChangeQuery): ChangeRow[];
  /** Every lineage fact of a unit, in log order; undefined when the tenant has no such unit. */
  lineage(tenantId: string, memoryId: string): LineageRow[] | undefined;
  /** The cube's units as they stood at `at`, ordered by memory id, after `afterMemoryId`. */
  knowledgeAt(tenantId: string, cubeId: string, at: string, afterMemoryId: string, limit: number): KnowledgeRow[];
  /** The last position whose whole log prefix was recorded at or before `at` (0 when none). */
  positionAt(at: string): number;
  erasures(query: ErasureQuery): ErasureRow[];
  /** The tenant's units recorded with this data subject (metadata.subjectId), by memory id. */
  unitsOfSubject(tenantId: string, subjectId: string): string[];
  /** The tenant a cube's events were recorded under, if the read model has seen the cube. */
  tenantOfCube(cubeId: string): string | undefined;
  readonly db: SqliteDb;
}

interface ChangeDbRow {
  position: number;
  tenant_id: string;
  recorded_at: string;
  actor: string;
  on_behalf_of: string | null;
  reason: string | null;
  stream_id: string;
  memory_id: string | null;
  cube_id: string | null;
  subject_id: string | null;
  type: string;
  revision: number;
}

const memoryStreamPrefix = "memory-";
/** Within one event: the version first, then what it brought or caused. */
const relationOrder: readonly LineageRow["relation"][] = ["version", "source", "merged_into", "merged_from", "branched_from", "branched_to", "derived"];
const subjectStreamPrefix = "subject-";

/** Content versions are hashed as the canonical JSON of what a reader would get back: content and attributes. */
export const contentDigest = (content: unknown, attributes: unknown): string => createHash("sha256").update(canonicalJson({ content, attributes })).digest("hex");

const statusAfter: Partial<Record<MemoryEvent["type"], string>> = {
  MemoryActivated: "activated",
  MemoryMerged: "merged",
  MemoryArchived: "archived",
  MemoryRestored: "activated",
  MemoryFrozen: "frozen",
  MemoryErased: "erased",
};

/**
 * The compliance read model: one SQLite file folded from the log like the
 * other read models. It keeps envelopes (who, when, why, which stream), each
 * unit's status and version after every event, membership of cubes, merges,
 * branches and erasures, so every report is an index lookup, never a log scan.
 *
 * It keeps no content, only a SHA-256 of each content version and the
 * sources' kind and ref (provenance, part of the encrypted content): an
 * erasure deletes both for the erased unit (a hash of short personal text
 * would let anyone confirm a guess), then purges the WAL.
 */
export function openComplianceStore(file: string): ComplianceStore {
  const db = openReadModelDb(file, complianceReadModel, projectionVersion);
  db.exec(`
    CREATE TABLE IF NOT EXISTS changes (
      position INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL, recorded_at TEXT NOT NULL,
      -- the highest recordedAt at or before this position: rises with position, so a period maps to positions exactly
      time_watermark TEXT NOT NULL,
      actor TEXT NOT NULL, on_behalf_of TEXT, reason TEXT, stream_id TEXT NOT NULL,
      memory_id TEXT, cube_id TEXT, subject_id TEXT, type TEXT NOT NULL, revision INTEGER NOT NULL);
    CREATE INDEX IF NOT EXISTS changes_by_watermark ON changes (time_watermark);
    CREATE INDEX IF NOT EXISTS changes_by_tenant ON changes (tenant_id, position);
    CREATE INDEX IF NOT EXISTS changes_by_actor ON changes (tenant_id, actor, position);
    CREATE INDEX IF NOT EXISTS changes_by_cube ON changes (tenant_id, cube_id, position);
    CREATE INDEX IF NOT EXISTS changes_by_memory ON changes (tenant_id, memory_id, position);
    CREATE INDEX IF NOT EXISTS changes_by_subject ON changes (tenant_id, subject_id, position);
    CREATE INDEX IF NOT EXISTS changes_by_type ON changes (tenant_id, type, position);
    CREATE TABLE IF NOT EXISTS units (
      memory_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, cube_id TEXT NOT NULL, subject_id TEXT,
      branched_from_memory TEXT, branched_from_cube TEXT, branched_from_revision INTEGER,
      merged_into TEXT, merged_position INTEGER, merged_at TEXT);
    CREATE INDEX IF NOT EXISTS units_by_subject ON units (tenant_id, subject_id);
    CREATE INDEX IF NOT EXISTS units_by_successor ON units (merged_into);
    CREATE TABLE IF NOT EXISTS unit_versions (
      memory_id TEXT NOT NULL, position INTEGER NOT NULL, recorded_at TEXT NOT NULL, type TEXT NOT NULL,
      revision INTEGER NOT NULL, version INTEGER NOT NULL, status TEXT NOT NULL, content_sha256 TEXT,
      PRIMARY KEY (memory_id, position)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS unit_sources (
      memory_id TEXT NOT NULL, position INTEGER NOT NULL, version INTEGER NOT NULL, recorded_at TEXT NOT NULL,
      ordinal INTEGER NOT NULL, kind TEXT NOT NULL, ref TEXT NOT NULL, PRIMARY KEY (memory_id, position, ordinal)) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS sources_by_ref ON unit_sources (ref);
    CREATE TABLE IF NOT EXISTS cube_units (
      cube_id TEXT NOT NULL, memory_id TEXT NOT NULL, position INTEGER NOT NULL, recorded_at TEXT NOT NULL,
      PRIMARY KEY (cube_id, memory_id)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS cubes (cube_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS branches (
      source_memory_id TEXT NOT NULL, copy_memory_id TEXT NOT NULL, branch_cube_id TEXT NOT NULL,
      position INTEGER NOT NULL, recorded_at TEXT NOT NULL, PRIMARY KEY (source_memory_id, copy_memory_id)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS erasures (
      position INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL, recorded_at TEXT NOT NULL, kind TEXT NOT NULL,
      subject_id TEXT, memory_id TEXT, actor TEXT NOT NULL, reason TEXT);
    CREATE INDEX IF NOT EXISTS erasures_by_tenant ON erasures (tenant_id, position);
  `);
  const insertChange = db.prepare(
    "INSERT OR IGNORE INTO changes (position, tenant_id, recorded_at, time_watermark, actor, on_behalf_of, reason, stream_id, memory_id, cube_id, subject_id, type, revision) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
  );
  const lastWatermark = db.prepare<[], { time_watermark: string }>("SELECT time_watermark FROM changes ORDER BY position DESC LIMIT 1");
  const unitOf = db.prepare<[string], { tenant_id: string; cube_id: string; subject_id: string | null; merged_into: string | null }>(
    "SELECT tenant_id, cube_id, subject_id, merged_into FROM units WHERE memory_id = ?",
  );
  const insertUnit = db.prepare(
    "INSERT OR IGNORE INTO units (memory_id, tenant_id, cube_id, subject_id, branched_from_memory, branched_from_cube, branched_from_revision) VALUES (?, ?, ?, ?, ?, ?, ?)",
  );
  const setMerged = db.prepare("UPDATE units SET merged_into = ?, merged_position = ?, merged_at = ? WHERE memory_id = ?");
  const clearMerged = db.prepare("UPDATE units SET merged_into = NULL, merged_position = NULL, merged_at = NULL WHERE memory_id = ?");
  const lastVersion = db.prepare<[string], { version: number; status: string; content_sha256: string | null }>(
    "SELECT version, status, content_sha256 FROM unit_versions WHERE memory_id = ? ORDER BY position DESC LIMIT 1",
  );
  const insertVersion = db.prepare(
    "INSERT OR IGNORE INTO unit_versions (memory_id, position, recorded_at, type, revision, version, status, content_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
  );
  const insertSource = db.prepare("INSERT OR IGNORE INTO unit_sources (memory_id, position, version, recorded_at, ordinal, kind, ref) VALUES (?, ?, ?, ?, ?, ?, ?)");
  const forgetHashes = db.prepare("UPDATE unit_versions SET content_sha256 = NULL WHERE memory_id = ?");
  const forgetSources = db.prepare("DELETE FROM unit_sources WHERE memory_id = ?");
  const insertCubeUnit = db.prepare("INSERT OR IGNORE INTO cube_units (cube_id, memory_id, position, recorded_at) VALUES (?, ?, ?, ?)");
  const insertCube = db.prepare("INSERT OR IGNORE INTO cubes (cube_id, tenant_id) VALUES (?, ?)");
  const cubeTenant = db.prepare<[string], { tenant_id: string }>("SELECT tenant_id FROM cubes WHERE cube_id = ?");
  const insertBranch = db.prepare("INSERT OR IGNORE INTO branches (source_memory_id, copy_memory_id, branch_cube_id, position, recorded_at) VALUES (?, ?, ?, ?, ?)");
  const insertErasure = db.prepare("INSERT OR IGNORE INTO erasures (position, tenant_id, recorded_at, kind, subject_id, memory_id, actor, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  let watermark = lastWatermark.get()?.time_watermark ?? "";
  let erasedInBatch = false;

  const foldMemory = (item: Extract<ProjectionEvent, { kind: "memory" }>, tenantId: string): void => {
    const { envelope, event } = item;
    const memoryId = event.data.memoryId;
    const at = envelope.metadata.recordedAt;
    if (event.type === "MemoryCreated") {
      const from = event.data.branchedFrom;
      insertUnit.run(memoryId, tenantId, event.data.cubeId, envelope.metadata.subjectId ?? null, from?.memoryId ?? null, from?.cubeId ?? null, from?.revision ?? null);
      if (from !== undefined) insertBranch.run(from.memoryId, memoryId, event.data.cubeId, envelope.position, at);
    }
    const previous = lastVersion.get(memoryId);
    let version = previous?.version ?? 1;
    let status = previous?.status ?? "generated";
    let digest = previous?.content_sha256 ?? null;
    if (event.type === "MemoryCreated" || event.type === "MemoryEdited" || event.type === "MemoryReverted") {
      version = event.type === "MemoryCreated" ? 1 : event.data.version;
      if (event.type === "MemoryReverted") status = event.data.status;
      digest = event.data.content === null ? null : contentDigest(event.data.content, event.data.attributes);
      event.data.content?.sources.forEach((source, ordinal) => insertSource.run(memoryId, envelope.position, version, at, ordinal, source.kind, source.ref));
    }
    status = statusAfter[event.type] ?? status;
    if (event.type === "MemoryMerged") setMerged.run(event.data.successorId, envelope.position, at, memoryId);
    if (event.type === "MemoryReverted") {
      if (event.data.successorId !== undefined) setMerged.run(event.data.successorId, envelope.position, at, memoryId);
      else clearMerged.run(memoryId);
    }
    if (event.type === "MemoryErased") {
      forgetHashes.run(memoryId);
      forgetSources.run(memoryId);
      digest = null;
      erasedInBatch = true;
      insertErasure.run(envelope.position, tenantId, at, "memory", envelope.metadata.subjectId ?? null, memoryId, envelope.metadata.actor, envelope.metadata.reason ?? null);
    }
    insertVersion.run(memoryId, envelope.position, at, event.type, envelope.revision, version, status, digest);
  };

  const fold = (item: ProjectionEvent): void => {
    const { envelope } = item;
    const m = envelope.metadata;
    if (m.recordedAt > watermark) watermark = m.recordedAt;
    let memoryId: string | undefined;
    let cubeId = m.cubeId;
    if (item.kind === "memory") {
      memoryId = item.event.data.memoryId;
      cubeId ??= item.event.type === "MemoryCreated" ? item.event.data.cubeId : unitOf.get(memoryId)?.cube_id;
    } else if (envelope.streamId.startsWith(memoryStreamPrefix)) {
      memoryId = envelope.streamId.slice(memoryStreamPrefix.length);
    }
    if (item.kind === "cube") cubeId ??= item.event.data.cubeId;
    const subjectId = m.subjectId ?? (envelope.type === "SubjectErased" && envelope.streamId.startsWith(subjectStreamPrefix) ? envelope.streamId.slice(subjectStreamPrefix.length) : undefined);
    insertChange.run(envelope.position, m.tenantId, m.recordedAt, watermark, m.actor, m.onBehalfOf ?? null, m.reason ?? null, envelope.streamId, memoryId ?? null, cubeId ?? null, subjectId ?? null, envelope.type, envelope.revision);
    if (item.kind === "memory") foldMemory(item, m.tenantId);
    else if (item.kind === "cube") {
      const event = item.event;
      if (event.type === "CubeCreated") insertCube.run(event.data.cubeId, m.tenantId);
      if (event.type === "CubeMemoryRegistered") insertCubeUnit.run(event.data.cubeId, event.data.memoryId, envelope.position, m.recordedAt);
      if (event.type === "CubeBranched") {
        for (const [source, copy] of Object.entries(event.data.memoryMap)) insertBranch.run(source, copy, event.data.branchCubeId, envelope.position, m.recordedAt);
      }
    } else if (envelope.type === "SubjectErased" && subjectId !== undefined) {
      insertErasure.run(envelope.position, m.tenantId, m.recordedAt, "subject", subjectId, null, m.actor, m.reason ?? null);
    }
  };

  const changeColumns = "position, tenant_id, recorded_at, actor, on_behalf_of, reason, stream_id, memory_id, cube_id, subject_id, type, revision";
  const firstPositionFrom = db.prepare<[string], { position: number }>("SELECT position FROM changes WHERE time_watermark >= ? ORDER BY time_watermark, position LIMIT 1");
  const lastPositionBy = db.prepare<[string], { position: number }>("SELECT position FROM changes WHERE time_watermark <= ? ORDER BY time_watermark DESC, position DESC LIMIT 1");
  const changeStatements = new Map<string, ReturnType<typeof db.prepare>>();
  const toChange = (r: ChangeDbRow): ChangeRow => ({
    position: r.position,
    recordedAt: r.recorded_at,
    tenant: r.tenant_id,
    actor: r.actor,
    ...(r.on_behalf_of !== null ? { onBehalfOf: r.on_behalf_of } : {}),
    ...(r.reason !== null ? { reason: r.reason } : {}),
    streamId: r.stream_id,
    ...(r.memory_id !== null ? { memoryId: r.memory_id } : {}),
    ...(r.cube_id !== null ? { cubeId: r.cube_id } : {}),
    ...(r.subject_id !== null ? { subjectId: r.subject_id } : {}),
    type: r.type,
    revision: r.revision,
  });

  const unitRow = db.prepare<[string, string], { cube_id: string; branched_from_memory: string | null; branched_from_cube: string | null; branched_from_revision: number | null; merged_into: string | null; merged_position: number | null; merged_at: string | null }>(
    "SELECT cube_id, branched_from_memory, branched_from_cube, branched_from_revision, merged_into, merged_position, merged_at FROM units WHERE memory_id = ? AND tenant_id = ?",
  );
  const contentVersions = db.prepare<[string], { position: number; recorded_at: string; revision: number; version: number }>(
    "SELECT position, recorded_at, revision, version FROM unit_versions WHERE memory_id = ? AND type IN ('MemoryCreated', 'MemoryEdited', 'MemoryReverted') ORDER BY position",
  );
  const sourcesOf = db.prepare<[string], { position: number; recorded_at: string; version: number; kind: string; ref: string }>(
    "SELECT position, recorded_at, version, kind, ref FROM unit_sources WHERE memory_id = ? ORDER BY position, ordinal",
  );
  const mergedFrom = db.prepare<[string, string], { memory_id: string; merged_position: number; merged_at: string }>(
    "SELECT memory_id, merged_position, merged_at FROM units WHERE merged_into = ? AND tenant_id = ?",
  );
  const branchedTo = db.prepare<[string], { copy_memory_id: string; branch_cube_id: string; position: number; recorded_at: string }>(
    "SELECT copy_memory_id, branch_cube_id, position, recorded_at FROM branches WHERE source_memory_id = ?",
  );
  const branchOf = db.prepare<[string], { position: number; recorded_at: string }>("SELECT position, recorded_at FROM branches WHERE copy_memory_id = ? LIMIT 1");
  const derivedFrom = db.prepare<[string, string], { memory_id: string; position: number; recorded_at: string; version: number }>(
    `SELECT s.memory_id, MIN(s.position) AS position, s.recorded_at, s.version FROM unit_sources s JOIN units u ON u.memory_id = s.memory_id
     WHERE s.ref = ? AND u.tenant_id = ? GROUP BY s.memory_id`,
  );
  const cubeUnitsAt = db.prepare<[string, string, string, number], { memory_id: string }>(
    "SELECT memory_id FROM cube_units WHERE cube_id = ? AND recorded_at <= ? AND memory_id > ? ORDER BY memory_id LIMIT ?",
  );
  const versionAt = db.prepare<[string, string], { position: number; revision: number; version: number; status: string; content_sha256: string | null }>(
    "SELECT position, revision, version, status, content_sha256 FROM unit_versions WHERE memory_id = ? AND recorded_at <= ? ORDER BY position DESC LIMIT 1",
  );
  const erasedNow = db.prepare<[string], { n: number }>("SELECT COUNT(*) AS n FROM unit_versions WHERE memory_id = ? AND type = 'MemoryErased'");
  const subjectUnits = db.prepare<[string, string], { memory_id: string }>("SELECT memory_id FROM units WHERE tenant_id = ? AND subject_id = ? ORDER BY memory_id");

  return {
    ...checkpointMembers(db, complianceReadModel, projectionVersion),
    db,
    apply: (batch) => {
      erasedInBatch = false;
      applyInTransaction(db, complianceReadModel, batch, fold);
      if (erasedInBatch) purgeWriteAheadLog(db);
    },
    changes: (q) => {
      let after = q.after ?? 0;
      if (q.from !== undefined) {
        const first = firstPositionFrom.get(q.from);
        if (first === undefined) return [];
        after = Math.max(after, first.position - 1);
      }
      const where = ["tenant_id = @tenantId", "position > @after"];
      if (q.actor !== undefined) where.push("actor = @actor");
      if (q.cubeId !== undefined) where.push("cube_id = @cubeId");
      if (q.memoryId !== undefined) where.push("memory_id = @memoryId");
      if (q.subjectId !== undefined) where.push("subject_id = @subjectId");
      if (q.type !== undefined) where.push("type = @type");
      if (q.from !== undefined) where.push("recorded_at >= @from");
      if (q.to !== undefined) where.push("recorded_at <= @to");
      const sql = `SELECT ${changeColumns} FROM changes WHERE ${where.join(" AND ")} ORDER BY position LIMIT @limit`;
      let statement = changeStatements.get(sql);
      if (statement === undefined) changeStatements.set(sql, (statement = db.prepare(sql)));
      const params = { ...q, after, limit: q.limit };
      return (statement.all(params) as ChangeDbRow[]).map(toChange);
    },
    lineage: (tenantId, memoryId) => {
      const unit = unitRow.get(memoryId, tenantId);
      if (unit === undefined) return undefined;
      const rows: LineageRow[] = [];
      for (const v of contentVersions.all(memoryId)) rows.push({ memoryId, relation: "version", position: v.position, recordedAt: v.recorded_at, version: v.version, revision: v.revision });
      for (const s of sourcesOf.all(memoryId)) rows.push({ memoryId, relation: "source", position: s.position, recordedAt: s.recorded_at, version: s.version, sourceKind: s.kind, sourceRef: s.ref });
      if (unit.merged_into !== null) rows.push({ memoryId, relation: "merged_into", position: unit.merged_position!, recordedAt: unit.merged_at!, otherMemoryId: unit.merged_into });
      for (const m of mergedFrom.all(memoryId, tenantId)) rows.push({ memoryId, relation: "merged_from", position: m.merged_position, recordedAt: m.merged_at, otherMemoryId: m.memory_id });
      for (const b of branchedTo.all(memoryId)) rows.push({ memoryId, relation: "branched_to", position: b.position, recordedAt: b.recorded_at, otherMemoryId: b.copy_memory_id, cubeId: b.branch_cube_id });
      if (unit.branched_from_memory !== null) {
        const at = branchOf.get(memoryId);
        rows.push({ memoryId, relation: "branched_from", position: at?.position ?? 0, recordedAt: at?.recorded_at ?? "", otherMemoryId: unit.branched_from_memory, cubeId: unit.branched_from_cube!, revision: unit.branched_from_revision! });
      }
      for (const d of derivedFrom.all(memoryId, tenantId)) rows.push({ memoryId, relation: "derived", position: d.position, recordedAt: d.recorded_at, version: d.version, otherMemoryId: d.memory_id });
      return rows.sort((a, b) => a.position - b.position || relationOrder.indexOf(a.relation) - relationOrder.indexOf(b.relation) || (a.otherMemoryId ?? a.sourceRef ?? "").localeCompare(b.otherMemoryId ?? b.sourceRef ?? ""));
    },
    knowledgeAt: (tenantId, cubeId, at, afterMemoryId, limit) => {
      if (cubeTenant.get(cubeId)?.tenant_id !== tenantId) return [];
      const rows: KnowledgeRow[] = [];
      let cursor = afterMemoryId;
      // Units registered by `at` whose own stream had not started yet are skipped, so a page may need a second pass.
      while (rows.length < limit) {
        const ids = cubeUnitsAt.all(cubeId, at, cursor, limit);
        if (ids.length === 0) break;
        for (const { memory_id } of ids) {
          cursor = memory_id;
          const v = versionAt.get(memory_id, at);
          if (v === undefined) continue;
          // An erasure after `at` has removed the hash too: the content it would prove is gone.
          const hash = v.content_sha256 ?? undefined;
          rows.push({ memoryId: memory_id, status: v.status, version: v.version, revision: v.revision, position: v.position, ...(hash !== undefined && erasedNow.get(memory_id)!.n === 0 ? { contentSha256: hash } : {}) });
          if (rows.length === limit) break;
        }
      }
      return rows;
    },
    positionAt: (at) => lastPositionBy.get(at)?.position ?? 0,
    erasures: (q) => {
      const rows = db
        .prepare<[string, number, string, string, number], { position: number; tenant_id: string; recorded_at: string; kind: "subject" | "memory"; subject_id: string | null; memory_id: string | null; actor: string; reason: string | null }>(
          "SELECT * FROM erasures WHERE tenant_id = ? AND position > ? AND recorded_at >= ? AND recorded_at <= ? ORDER BY position LIMIT ?",
        )
        .all(q.tenantId, q.after ?? 0, q.from ?? "", q.to ?? "\uffff", q.limit);
      return rows.map((r) => ({
        position: r.position,
        recordedAt: r.recorded_at,
        tenant: r.tenant_id,
        kind: r.kind,
        ...(r.subject_id !== null ? { subjectId: r.subject_id } : {}),
        ...(r.memory_id !== null ? { memoryId: r.memory_id } : {}),
        actor: r.actor,
        ...(r.reason !== null ? { reason: r.reason } : {}),
      }));
    },
    unitsOfSubject: (tenantId, subjectId) => subjectUnits.all(tenantId, subjectId).map((r) => r.memory_id),
    tenantOfCube: (cubeId) => cubeTenant.get(cubeId)?.tenant_id,
    close: () => {
      if (db.open) db.close();
    },
  };
}
