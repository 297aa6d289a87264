/** The media types the document reader parses. */
export const documentMediaTypes = ["text/plain", "text/markdown", "text/html", "application/pdf"] as const;
export type DocumentMediaType = (typeof documentMediaTypes)[number];

/** The media type a file name's extension implies (CLI), or undefined when the extension is not one the reader knows. */
export function mediaTypeOfFileName(fileName: string): DocumentMediaType | undefined {
  const extension = fileName.toLowerCase().match(/\.([a-z0-9]+)$/)?.[1];
  switch (extension) {
    case "txt":
    case "text":
      return "text/plain";
    case "md":
    case "markdown":
      return "text/markdown";
    case "html":
    case "htm":
      return "text/html";
    case "pdf":
      return "application/pdf";
    default:
      return undefined;
  }
}

/**
 * A stretch of the document's text that shares one location: a PDF page, the
 * part of a Markdown or HTML document under one heading. Offsets are in
 * characters of the document's text (`DocumentText.text`), end exclusive.
 */
export interface DocumentSection {
  readonly start: number;
  readonly end: number;
  /** 1-based PDF page; absent for formats without pages. */
  readonly page?: number;
  /** The headings this section sits under, outermost first; empty before the first heading. */
  readonly headingPath: readonly string[];
}

/** A document read into plain text plus where each part of it came from. */
export interface DocumentText {
  readonly text: string;
  readonly sections: readonly DocumentSection[];
  /** A title the document names itself (Markdown's first h1, HTML's <title>, PDF's Title), if any. */
  readonly title?: string;
  readonly pages?: number;
}

/** Builds a DocumentText section by section: sections are separated by a blank line in the text. */
export class DocumentTextBuilder {
  private text = "";
  private readonly sections: DocumentSection[] = [];

  add(sectionText: string, location: { readonly page?: number; readonly headingPath: readonly string[] }): void {
    const trimmed = sectionText.replace(/[ \t]+\n/g, "\n").replace(/\n{3,}/g, "\n\n").trim();
    if (trimmed === "") return;
    if (this.text !== "") this.text += "\n\n";
    const start = this.text.length;
    this.text += trimmed;
    this.sections.push({ start, end: this.text.length, ...(location.page !== undefined ? { page: location.page } : {}), headingPath: [...location.headingPath] });
  }

  build(extra: { readonly title?: string; readonly pages?: number } = {}): DocumentText {
    return { text: this.text, sections: this.sections, ...(extra.title ? { title: extra.title } : {}), ...(extra.pages !== undefined ? { pages: extra.pages } : {}) };
  }
}

/** Where a stretch of text sits, in words: "page 2; Setup > Install; characters 120-480". */
export function describeLocation(location: { readonly page?: number; readonly headingPath: readonly string[]; readonly start: number; readonly end: number }): string {
  return [
    location.page !== undefined ? `page ${location.page}` : undefined,
    location.headingPath.length > 0 ? location.headingPath.join(" > ") : undefined,
    `characters ${location.start}-${location.end}`,
  ]
    .filter((part): part is string => part !== undefined)
    .join("; ");
}
