import type { MemLedger } from "../src/app/memLedger.js";
import type { LocomoDataset, LocomoTurn } from "./locomoDataset.js";

/** The session a turn belongs to, from its dialog id (D<session>:<turn>). */
export const locomoSessionOf = (turn: LocomoTurn): string => /^D(\d+):/.exec(turn.diaId)?.[1] ?? "?";

/** What a turn is stored as: its speaker and words. */
export const locomoLineOf = (turn: LocomoTurn): string => `${turn.speaker}: ${turn.text}`;

/**
 * Every turn of the named conversations becomes one memory in its conversation's cube, as the LoCoMo
 * benches measure it: the turn id (D<session>:<turn>) as its source, the session as its `sessionId`
 * (contextual indexing sees the turn before it), the session date as its event time; then waits for
 * the read models.
 */
export async function ingestLocomo(ledger: MemLedger, dataset: LocomoDataset, conversations: readonly string[]): Promise<void> {
  for (const conversationId of conversations) {
    await ledger.cubes.create({ cubeId: conversationId, name: conversationId, owner: { kind: "project", id: "locomo" } });
    const turns = dataset.turns.filter((t) => t.conversationId === conversationId);
    for (let i = 0; i < turns.length; i += 200) {
      await ledger.memories.add(conversationId, {
        mode: "sync",
        memories: turns.slice(i, i + 200).map((t) => ({
          text: locomoLineOf(t),
          sessionId: `S${locomoSessionOf(t)}`,
          sources: [{ kind: "message" as const, ref: t.diaId, ...(t.sessionTime ? { at: t.sessionTime } : {}) }],
          ...(t.sessionTime ? { eventTime: t.sessionTime } : {}),
        })),
      });
    }
  }
  await ledger.readModels.catchUp(600_000);
}
