import { Data } from "effect";

/** 401: the credential is missing, malformed, unknown, expired or revoked; `why` says which. */
export class Unauthenticated extends Data.TaggedError("Unauthenticated")<{ readonly why: string; readonly message: string }> {}
export const unauthenticated = (why: string) =>
  new Unauthenticated({ why, message: `${why}; send Authorization: Bearer <api key> (the first admin key is in the data directory, see README)` });

/** 403: authenticated, but the policy said no; the message names the missing permission or role. */
export class Forbidden extends Data.TaggedError("Forbidden")<{ readonly action: string; readonly principalId: string; readonly message: string }> {}
