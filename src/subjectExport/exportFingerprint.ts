import { createHash } from "node:crypto";
import { canonicalJson } from "../command/canonicalJson.js";
import type { SubjectExportPaging } from "./subjectExportDocument.js";

/** The read audit keeps a hash of the request, never the request (the same shape as the facade's other reads). */
export const exportFingerprint = (subjectId: string, paging: SubjectExportPaging = {}): string =>
  createHash("sha256").update(canonicalJson({ action: "export", request: { subjectId, paging } })).digest("hex");
