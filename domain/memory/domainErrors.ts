/**
 * Errors `decide` can return. Plain classes with a `_tag` so the application
 * layer can put them straight into Effect's typed error channel.
 */
export class TransitionRejected extends Error {
  readonly _tag = "TransitionRejected" as const;
  constructor(
    readonly memoryId: string,
    readonly state: string,
    readonly command: string,
    readonly why: string,
  ) {
    super(`memory ${memoryId} is ${state}: '${command}' is not allowed (${why})`);
    this.name = "TransitionRejected";
  }
}

export class InvalidCommand extends Error {
  readonly _tag = "InvalidCommand" as const;
  constructor(
    readonly command: string,
    readonly field: string,
    readonly problem: string,
    readonly memoryId?: string,
  ) {
    super(`invalid '${command}'${memoryId ? ` for memory ${memoryId}` : ""}: ${field} ${problem}`);
    this.name = "InvalidCommand";
  }
}

export type DomainError = TransitionRejected | InvalidCommand;
