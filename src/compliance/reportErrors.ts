import { Data } from "effect";

/** A report about something the caller's tenant does not have (or may not know exists): a 404. */
export class ReportSubjectNotFound extends Data.TaggedError("ReportSubjectNotFound")<{ readonly what: string; readonly id: string; readonly message: string }> {}

export const reportNotFound = (what: "memory" | "cube" | "tenant", id: string) =>
  new ReportSubjectNotFound({ what, id, message: `no ${what} ${id} in this tenant's compliance read model; check the id (the read model catches up within seconds of a write)` });
