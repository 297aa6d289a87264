import { PDFDocument, StandardFonts } from "pdf-lib";

/** A small real PDF, one page per entry, each line drawn as text (pdf-lib), so tests know what every page says. */
export async function tinyPdf(pages: readonly (readonly string[])[], title?: string): Promise<Buffer> {
  const doc = await PDFDocument.create();
  if (title !== undefined) doc.setTitle(title);
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (const lines of pages) {
    const page = doc.addPage([595, 842]);
    lines.forEach((line, i) => page.drawText(line, { x: 50, y: 780 - i * 16, font, size: 11 }));
  }
  return Buffer.from(await doc.save());
}
