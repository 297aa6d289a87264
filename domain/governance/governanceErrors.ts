/** Why a governance command was refused; each names the id and what to do. */
export class GovernanceRejected extends Error {
  readonly _tag = "GovernanceRejected" as const;
  constructor(
    readonly command: string,
    readonly reason: "not_found" | "already_exists" | "invalid" | "conflict",
    readonly field: string,
    readonly why: string,
  ) {
    super(`'${command}' refused: ${field} ${why}`);
    this.name = "GovernanceRejected";
  }
}
