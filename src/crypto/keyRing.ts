import { Effect } from "effect";
import type { DataKey, KeyStorePort, KeyStoreUnavailable } from "../keyStore/keyStorePort.js";

/**
 * Data keys in process memory, so a replay does not hit the key store once per
 * event. Destroying a key goes through here so the cached copy dies with it.
 */
export class KeyRing {
  private readonly cache = new Map<string, Buffer | null>();
  private forgotten = 0;

  constructor(private readonly store: KeyStorePort) {}

  create(subjectId: string, keyId: string): Effect.Effect<DataKey, KeyStoreUnavailable> {
    return Effect.tap(this.store.createKey(subjectId, keyId), (key) => Effect.sync(() => this.cache.set(key.keyId, key.material)));
  }

  /** The key material, or null when the key was destroyed or never existed. */
  material(keyId: string): Effect.Effect<Buffer | null, KeyStoreUnavailable> {
    const cached = this.cache.get(keyId);
    if (cached !== undefined) return Effect.succeed(cached);
    return Effect.map(this.store.getKey(keyId), (lookup) => {
      const material = lookup.status === "active" ? lookup.key.material : null;
      if (lookup.status !== "unknown") this.cache.set(keyId, material);
      return material;
    });
  }

  destroy(keyId: string, at: string): Effect.Effect<boolean, KeyStoreUnavailable> {
    return Effect.ensuring(this.store.destroyKey(keyId, at), Effect.sync(() => this.forget(keyId)));
  }

  destroySubject(subjectId: string, at: string): Effect.Effect<readonly string[], KeyStoreUnavailable> {
    return Effect.tap(this.store.destroySubjectKeys(subjectId, at), (ids) =>
      Effect.sync(() => {
        for (const id of ids) this.forget(id);
      }),
    );
  }

  keysOfSubject(subjectId: string): Effect.Effect<readonly string[], KeyStoreUnavailable> {
    return this.store.keysOfSubject(subjectId);
  }

  /** How many keys this ring has forgotten (destroyed) so far: what was unsealed before it changed may hold erased text. */
  get forgottenKeys(): number {
    return this.forgotten;
  }

  private forget(keyId: string): void {
    this.forgotten += 1;
    const material = this.cache.get(keyId);
    if (material) material.fill(0);
    this.cache.set(keyId, null);
  }
}
