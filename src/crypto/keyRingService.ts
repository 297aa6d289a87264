import { Context, Effect, Layer } from "effect";
import { KeyStore } from "../keyStore/keyStorePort.js";
import { KeyRing } from "./keyRing.js";

/** One key ring per running application, shared by every service that reads or erases content. */
export class KeyRingService extends Context.Tag("memledger/KeyRing")<KeyRingService, KeyRing>() {}

export const layerKeyRing = Layer.effect(KeyRingService, Effect.map(KeyStore, (store) => new KeyRing(store)));
