import { DocumentTextBuilder, type DocumentText } from "./documentText.js";

/** pdf.js log level: errors only (its font warnings are noise for text extraction). */
const errorsOnly = 0;

/**
 * PDF by Mozilla's pdf.js (`pdfjs-dist`, its legacy build for Node 20): the
 * text of each page in reading order, one section per page with its 1-based
 * page number. A file pdf.js cannot open throws, with pdf.js's reason.
 */
export async function parsePdf(bytes: Uint8Array): Promise<DocumentText> {
  const { getDocument } = await import("pdfjs-dist/legacy/build/pdf.mjs");
  // pdf.js takes ownership of (and detaches) the buffer it is given: hand it a copy.
  const task = getDocument({ data: new Uint8Array(bytes), isEvalSupported: false, useSystemFonts: false, verbosity: errorsOnly, stopAtErrors: true });
  const pdf = await task.promise;
  try {
    const builder = new DocumentTextBuilder();
    for (let pageNumber = 1; pageNumber <= pdf.numPages; pageNumber++) {
      const page = await pdf.getPage(pageNumber);
      const content = await page.getTextContent();
      let text = "";
      for (const item of content.items) {
        if (!("str" in item)) continue;
        text += item.str;
        if (item.hasEOL) text += "\n";
        else if (item.str !== "" && !/\s$/.test(item.str)) text += " ";
      }
      builder.add(text.replace(/ +\n/g, "\n").replace(/ {2,}/g, " "), { page: pageNumber, headingPath: [] });
      page.cleanup();
    }
    const info = (await pdf.getMetadata().catch(() => undefined))?.info as { Title?: unknown } | undefined;
    const title = typeof info?.Title === "string" && info.Title.trim() !== "" ? info.Title.trim() : undefined;
    return builder.build({ pages: pdf.numPages, ...(title !== undefined ? { title } : {}) });
  } finally {
    await task.destroy();
  }
}
