import { DocumentUnreadable } from "./documentErrors.js";
import { parseHtml } from "./parseHtml.js";
import { parseMarkdown } from "./parseMarkdown.js";
import { parsePdf } from "./parsePdf.js";
import { DocumentTextBuilder, type DocumentMediaType, type DocumentText } from "./documentText.js";

/** What the caller sends: text for the text formats, base64 bytes for PDF. */
export type DocumentBody = { readonly content: string } | { readonly contentBase64: string };

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Reads a document into text and locations, or explains why it cannot: a PDF
 * that pdf.js cannot open, content given in the wrong field, a document with
 * no text. Pure apart from the parsers; nothing is written.
 */
export async function parseDocument(mediaType: DocumentMediaType, body: DocumentBody): Promise<DocumentText> {
  const unreadable = (message: string) => new DocumentUnreadable({ mediaType, message });
  let parsed: DocumentText;
  if (mediaType === "application/pdf") {
    if (!("contentBase64" in body) || typeof body.contentBase64 !== "string") throw unreadable("a PDF is sent as contentBase64 (the file's bytes in base64), not as content");
    const bytes = Buffer.from(body.contentBase64, "base64");
    if (bytes.length === 0) throw unreadable("contentBase64 decodes to no bytes; send the PDF file's bytes in base64");
    if (bytes.subarray(0, 5).toString("latin1") !== "%PDF-") throw unreadable("contentBase64 does not decode to a PDF (no %PDF- header); send the PDF file's bytes in base64, or use the media type of what it is");
    try {
      parsed = await parsePdf(bytes);
    } catch (error) {
      throw unreadable(`the PDF cannot be read (${describe(error)}); nothing was recorded; check the file opens in a PDF reader, or send its text as text/plain`);
    }
    if (parsed.text === "") throw unreadable(`the PDF's ${parsed.pages ?? 0} page(s) hold no extractable text (a scan without a text layer?); nothing was recorded; run OCR first or send its text as text/plain`);
    return parsed;
  }
  const text = "content" in body && typeof body.content === "string" ? body.content : "contentBase64" in body && typeof body.contentBase64 === "string" ? Buffer.from(body.contentBase64, "base64").toString("utf8") : undefined;
  if (text === undefined) throw unreadable(`a ${mediaType} document is sent as content (its text)`);
  try {
    parsed = mediaType === "text/markdown" ? parseMarkdown(text) : mediaType === "text/html" ? parseHtml(text) : parsePlainText(text);
  } catch (error) {
    throw unreadable(`the ${mediaType} document cannot be parsed (${describe(error)}); nothing was recorded`);
  }
  if (parsed.text === "") throw unreadable(`the ${mediaType} document holds no text; nothing was recorded`);
  return parsed;
}

/** Plain text is one section with no headings; line ends normalised. */
export function parsePlainText(source: string): DocumentText {
  const builder = new DocumentTextBuilder();
  builder.add(source.replace(/\r\n?/g, "\n"), { headingPath: [] });
  return builder.build();
}
