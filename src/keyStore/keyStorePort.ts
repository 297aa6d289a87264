import { Context, Data, type Effect } from "effect";

/** A data key: encrypts the personal fields of one memory unit, owned by one data subject. */
export interface DataKey {
  readonly keyId: string;
  readonly subjectId: string;
  readonly material: Buffer;
}

export type KeyLookup =
  | { readonly status: "active"; readonly key: DataKey }
  | { readonly status: "destroyed"; readonly keyId: string; readonly subjectId: string; readonly destroyedAt: string }
  | { readonly status: "unknown"; readonly keyId: string };

export class KeyStoreUnavailable extends Data.TaggedError("KeyStoreUnavailable")<{ readonly message: string; readonly cause?: unknown }> {}

/**
 * Where data keys live: outside the event log, so destroying a key shreds every
 * copy of the content it encrypted, including the immutable log. Keys are
 * grouped by subject so "forget this person" destroys all of theirs at once.
 */
export interface KeyStorePort {
  createKey(subjectId: string, keyId: string): Effect.Effect<DataKey, KeyStoreUnavailable>;
  getKey(keyId: string): Effect.Effect<KeyLookup, KeyStoreUnavailable>;
  /** Destroys one key; returns false if it was already gone. */
  destroyKey(keyId: string, destroyedAt: string): Effect.Effect<boolean, KeyStoreUnavailable>;
  /** Destroys every key of the subject; returns the ids destroyed now. */
  destroySubjectKeys(subjectId: string, destroyedAt: string): Effect.Effect<readonly string[], KeyStoreUnavailable>;
  keysOfSubject(subjectId: string): Effect.Effect<readonly string[], KeyStoreUnavailable>;
  close(): Effect.Effect<void>;
}

export class KeyStore extends Context.Tag("memledger/KeyStore")<KeyStore, KeyStorePort>() {}
