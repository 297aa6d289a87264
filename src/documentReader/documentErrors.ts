import { Data } from "effect";

/** The content is not a readable document of its media type (a malformed PDF, an empty text): nothing was written (HTTP 422). */
export class DocumentUnreadable extends Data.TaggedError("DocumentUnreadable")<{
  readonly message: string;
  readonly mediaType: string;
}> {}

/** A document with this id is already recorded in the cube (HTTP 409): give another id, or none for a new one. */
export class DocumentAlreadyRecorded extends Data.TaggedError("DocumentAlreadyRecorded")<{
  readonly message: string;
  readonly documentId: string;
  readonly cubeId: string;
  readonly documentMemoryId: string;
}> {}

/** The document's text is longer than one document record holds, or too long for a sync add (HTTP 413). */
export class DocumentTooLarge extends Data.TaggedError("DocumentTooLarge")<{
  readonly message: string;
  readonly limit: "maxCharacters" | "maxSyncCharacters";
  readonly maximum: number;
  readonly actual: number;
}> {}
