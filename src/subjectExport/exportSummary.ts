import type { SubjectExportDocument } from "./subjectExportDocument.js";

const oneLine = (text: string, max = 80): string => {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

const cell = (text: string): string => text.replace(/\|/g, "\\|");

/**
 * The export in words, as Markdown: what a DPO reads before sending the JSON
 * (`GET /subjects/:id/export?format=summary`, `memledger subject export`).
 */
export function renderExportSummary(doc: SubjectExportDocument): string {
  const erased = doc.memories.filter((m) => m.status === "erased").length;
  const readers = [...new Set(doc.reads.map((r) => r.principalId))].sort();
  const lines = [
    `# Subject access export: ${doc.subjectId}`,
    "",
    `- tenant: ${doc.tenant}`,
    `- generated at ${doc.generatedAt} for ${doc.requestedBy} (format version ${doc.formatVersion})`,
    `- memories: ${doc.memories.length} in this page of ${doc.page.totalMemories}${erased > 0 ? ` (${erased} erased)` : ""}${doc.page.nextCursor !== undefined ? `; next page: after=${doc.page.nextCursor}` : ""}`,
    `- changes: ${doc.changes.length}; reads: ${doc.reads.length}${readers.length > 0 ? ` by ${readers.join(", ")}` : ""}`,
    `- erasure certificates: ${doc.certificates.length}`,
    "",
  ];
  if (doc.memories.length > 0) {
    lines.push("## Memories", "", "| memory | cube | status | versions | reads | content |", "|---|---|---|---|---|---|");
    for (const m of doc.memories) {
      const readCount = doc.reads.filter((r) => r.memoryIds.includes(m.memoryId)).length;
      const content = m.content === null ? `(erased${m.erasureCertificateEventId !== undefined ? `, certificate ${m.erasureCertificateEventId}` : ""})` : oneLine(m.content.text);
      lines.push(`| ${cell(m.memoryId)} | ${cell(m.cubeId)} | ${m.status} | ${m.versions.length} | ${readCount} | ${cell(content)} |`);
    }
    lines.push("");
  }
  if (doc.reads.length > 0) {
    lines.push("## Reads", "");
    for (const r of doc.reads) lines.push(`- ${r.at} ${r.principalId}${r.onBehalfOf !== undefined ? ` for ${r.onBehalfOf}` : ""}: ${r.action} of ${r.memoryIds.join(", ")}`);
    lines.push("");
  }
  if (doc.changes.length > 0) {
    lines.push("## Changes", "");
    for (const c of doc.changes) lines.push(`- ${c.recordedAt} ${c.actor}: ${c.type} of ${c.memoryId} (revision ${c.revision})${c.reason !== undefined ? `: ${oneLine(c.reason)}` : ""}`);
    lines.push("");
  }
  if (doc.certificates.length > 0) {
    lines.push("## Erasure certificates", "");
    for (const c of doc.certificates) lines.push(`- ${c.erasedAt} by ${c.erasedBy}: ${c.erasedMemoryIds.length} units erased, ${c.destroyedKeyIds.length} keys destroyed (event ${c.eventId})`);
    lines.push("");
  }
  return lines.join("\n");
}
