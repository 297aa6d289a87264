import type { LogMoment } from "../../projections/projectionEvent.js";
import type { MemoryFilters } from "../readModels/memoryView/memoryFilterSql.js";
import type { MemoryViewRow, MemoryViewStore } from "../readModels/memoryView/sqliteMemoryViewStore.js";

/** The memory-view reads of one cube's search, at one moment and one set of filters. */
export interface SearchRowReader {
  rowsForContent(contentPositions: readonly number[]): Map<number, MemoryViewRow>;
  rowsForMemories(memoryIds: readonly string[]): Map<string, MemoryViewRow>;
}

/**
 * The vector, BM25 and graph retrievers of one search mostly find the same units, so each
 * content version and memory is read from the memory view once per search, not once per
 * retriever. A unit has at most one interval in force at a moment, so a row found through
 * its content version is also the row of its memory; absences are remembered by position only.
 */
export function searchRowReader(view: MemoryViewStore, filters: MemoryFilters, asOf: LogMoment | undefined): SearchRowReader {
  const byPosition = new Map<number, MemoryViewRow | null>();
  const byMemory = new Map<string, MemoryViewRow | null>();
  const remember = (row: MemoryViewRow) => {
    byMemory.set(row.memoryId, row);
    if (row.contentPosition !== null) byPosition.set(row.contentPosition, row);
  };
  return {
    rowsForContent(positions) {
      const unknown = positions.filter((p) => !byPosition.has(p));
      if (unknown.length > 0) {
        const read = view.rowsForContent(unknown, filters, asOf);
        for (const p of unknown) byPosition.set(p, read.get(p) ?? null);
        for (const row of read.values()) remember(row);
      }
      const out = new Map<number, MemoryViewRow>();
      for (const p of positions) {
        const row = byPosition.get(p);
        if (row) out.set(p, row);
      }
      return out;
    },
    rowsForMemories(memoryIds) {
      const unknown = memoryIds.filter((id) => !byMemory.has(id));
      if (unknown.length > 0) {
        const read = view.rowsForMemories(unknown, filters, asOf);
        for (const id of unknown) byMemory.set(id, read.get(id) ?? null);
        for (const row of read.values()) remember(row);
      }
      const out = new Map<string, MemoryViewRow>();
      for (const id of memoryIds) {
        const row = byMemory.get(id);
        if (row) out.set(id, row);
      }
      return out;
    },
  };
}
