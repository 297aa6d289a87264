import { Cause, Exit, Option, Runtime, type Effect } from "effect";

/** Runs an effect from a job handler and rethrows its typed failure itself (not a FiberFailure wrapper), so the job records a readable error. */
export const runForJob =
  <R>(runtime: Runtime.Runtime<R>) =>
  async <A, E>(effect: Effect.Effect<A, E, R>): Promise<A> => {
    const exit = await Runtime.runPromiseExit(runtime)(effect);
    if (Exit.isSuccess(exit)) return exit.value;
    const failure = Cause.failureOption(exit.cause);
    throw Option.isSome(failure) ? failure.value : Cause.squash(exit.cause);
  };
