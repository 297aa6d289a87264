const string = { type: "string" } as const;
const strings = { type: "array", items: string } as const;

/**
 * The JSON Schema of an ErasureCertificate (src/erasure/subjectErasure.ts): one
 * definition for the REST answer and for the subject export document, so the
 * two cannot drift apart. Open to added fields, as certificates gain them.
 */
export const erasureCertificateSchema = {
  type: "object",
  additionalProperties: true,
  properties: {
    subjectId: string,
    erasedAt: string,
    erasedBy: string,
    reason: string,
    destroyedKeyIds: strings,
    erasedMemoryIds: strings,
    alreadyErasedMemoryIds: strings,
    heldMemoryIds: {
      type: "array",
      items: { type: "object", additionalProperties: true, properties: { memoryId: string, holdIds: strings, pendingErasureId: string } },
    },
    eventId: string,
    position: { type: "integer" },
  },
} as const;
