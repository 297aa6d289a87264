import type { ReportsApi } from "./reportsApi.js";

type Get = <T>(path: string, query?: Record<string, string | number | undefined>) => Promise<T>;

/** The reports over REST (src/server/routes/complianceReportRoutes.ts), JSON pages as the library returns them. */
export function httpReports(get: Get): ReportsApi {
  const segment = encodeURIComponent;
  return {
    changeLog: (filter = {}, paging = {}) => get("/reports/changes", { ...filter, ...paging }),
    readLog: (filter, paging = {}) => get("/reports/reads", { ...filter, ...paging }),
    lineage: (memoryId, paging = {}) => get(`/reports/lineage/${segment(memoryId)}`, { ...paging }),
    knowledgeAt: (cubeId, at, paging = {}) => get("/reports/knowledge", { cubeId, at, ...paging }),
    knowledgeEvidence: (cubeId, at) => get("/reports/knowledge", { cubeId, at, format: "evidence" }),
    erasures: (period = {}, paging = {}) => get("/reports/erasures", { ...period, ...paging }),
    subjectAccess: (subjectId, paging = {}) =>
      get(`/reports/subjects/${segment(subjectId)}/access`, { readsAfter: paging.reads?.after, changesAfter: paging.changes?.after, limit: paging.reads?.limit ?? paging.changes?.limit }),
    grants: (at, paging = {}) => get("/reports/grants", { at, ...paging }),
  };
}
