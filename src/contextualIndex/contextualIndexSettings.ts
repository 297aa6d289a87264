/**
 * Contextual indexing (docs/retrieval.md, "Contextual indexing"): the words of
 * a turn's neighbours in the same session join the turn's full-text entry, in
 * a column of its own with a lower BM25 weight, so a turn that only makes
 * sense with the one before it ("Yes, last Tuesday!") can still be found by
 * what was being talked about. The unit's own text, answers and hits do not
 * change: only what the index matches it by.
 */
export interface ContextualIndexSettings {
  /** Earlier turns of the same session whose words join a turn's entry; 0 takes none. */
  readonly previousTurns: number;
  /** Later turns of the same session whose words join a turn's entry; 0 takes none. */
  readonly followingTurns: number;
  /** BM25 weight of the neighbours' words (the unit's own body weighs 1, its title 2). */
  readonly contextWeight: number;
}

/** Today's index: every unit matched by its own words only. */
export const contextOff: ContextualIndexSettings = { previousTurns: 0, followingTurns: 0, contextWeight: 0.5 };

/**
 * The default: the previous turn, chosen on the LoCoMo dev set (tuned on
 * conv-26/30, held on conv-41/42/43: hybrid R@10 0.673 -> 0.734 there;
 * docs/benchmarks.md, "Retrieval round two: context and graph").
 */
export const defaultContextualIndex: ContextualIndexSettings = { ...contextOff, previousTurns: 1 };

/** Upper bound of either window: each neighbour's words are copied into this many other entries. */
export const maxContextTurns = 8;

export const contextIsOn = (settings: ContextualIndexSettings): boolean => settings.previousTurns > 0 || settings.followingTurns > 0;

/** Settings with every field present and in range; throws a RangeError naming the field otherwise. */
export function contextualIndexSettings(partial: Partial<ContextualIndexSettings> = {}): ContextualIndexSettings {
  const settings = { ...defaultContextualIndex, ...partial };
  for (const field of ["previousTurns", "followingTurns"] as const) {
    const value = settings[field];
    if (!Number.isInteger(value) || value < 0 || value > maxContextTurns) {
      throw new RangeError(`contextual index: ${field} is ${value}; give a whole number of turns from 0 to ${maxContextTurns}`);
    }
  }
  if (!(settings.contextWeight > 0 && settings.contextWeight <= 10)) {
    throw new RangeError(`contextual index: contextWeight is ${settings.contextWeight}; give a number above 0 and at most 10`);
  }
  return settings;
}

/** The settings as stored beside an index, so an index built under other settings is rebuilt rather than mixed. */
export const settingsFingerprint = (settings: ContextualIndexSettings): string =>
  `previous=${settings.previousTurns};following=${settings.followingTurns};weight=${settings.contextWeight}`;
