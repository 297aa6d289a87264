import { Data } from "effect";

/** 422: the file is not an intact interchange file; nothing was imported. Names the first bad record. */
export class InterchangeFileRejected extends Data.TaggedError("InterchangeFileRejected")<{
  /** 1-based line of the first bad record, when one is to blame. */
  readonly line?: number;
  readonly message: string;
}> {}

export const fileRejected = (line: number | undefined, problem: string) =>
  new InterchangeFileRejected({
    ...(line !== undefined ? { line } : {}),
    message: `${line !== undefined ? `line ${line} of the interchange file ${problem}` : `the interchange file ${problem}`}; nothing was imported: export the cube again (memledger cube export) or import the original file`,
  });

/** 409: an id of the file is taken in this instance by something the import did not write, and the caller asked to fail. */
export class InterchangeIdConflict extends Data.TaggedError("InterchangeIdConflict")<{
  readonly kind: "cube" | "memory";
  readonly id: string;
  readonly message: string;
}> {}

export const idConflict = (kind: "cube" | "memory", id: string) =>
  new InterchangeIdConflict({
    kind,
    id,
    message: `${kind} ${id} already exists in this instance and was not written by an import of this file; import with onConflict "remap" (--on-conflict remap) to give the file's ${kind} a new id, or import into another tenant or instance`,
  });
