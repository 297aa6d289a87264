import type { ExportedRead, SubjectExportDocument, SubjectExportPaging } from "./subjectExportDocument.js";

type Exporter = (subjectId: string, paging?: SubjectExportPaging) => Promise<SubjectExportDocument>;

/**
 * Every page of a subject's export joined into one document (the CLI writes
 * it to one file). Each page is one audited export; the document is held in
 * memory, so a subject of many thousand units is better paged by the caller.
 */
export async function exportAllPages(exportPage: Exporter, subjectId: string, pageSize?: number): Promise<SubjectExportDocument> {
  const pages: SubjectExportDocument[] = [];
  let after: string | undefined;
  do {
    const page = await exportPage(subjectId, { ...(after !== undefined ? { after } : {}), ...(pageSize !== undefined ? { limit: pageSize } : {}) });
    pages.push(page);
    after = page.page.nextCursor;
  } while (after !== undefined);
  const first = pages[0]!;
  const last = pages[pages.length - 1]!;
  // A read that returned units of two pages is in both; keep it once with both pages' units.
  const reads = new Map<number, ExportedRead>();
  for (const read of pages.flatMap((p) => p.reads)) {
    const seen = reads.get(read.seq);
    reads.set(read.seq, seen === undefined ? read : { ...seen, memoryIds: [...new Set([...seen.memoryIds, ...read.memoryIds])] });
  }
  return {
    ...first,
    page: { limit: last.page.totalMemories, totalMemories: last.page.totalMemories },
    memories: pages.flatMap((p) => p.memories),
    reads: [...reads.values()].sort((a, b) => a.seq - b.seq),
    changes: pages.flatMap((p) => p.changes).sort((a, b) => a.position - b.position),
    certificates: last.certificates,
  };
}
