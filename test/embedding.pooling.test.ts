import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EmbedderUnavailable } from "../src/embedding/embeddingErrors.js";
import { settingsFromManifest, vectorSpaceId } from "../src/embedding/modelManifest.js";
import { pool, type HiddenStates } from "../src/embedding/pooling.js";
import { normaliseInPlace } from "../src/embedding/vectorMath.js";

/** A hidden-state tensor from rows of token vectors; shorter rows are padded (mask 0) with junk that pooling must ignore. */
function states(rows: number[][][]): HiddenStates {
  const columns = Math.max(...rows.map((r) => r.length));
  const width = rows[0]![0]!.length;
  const hidden = new Float32Array(rows.length * columns * width).fill(99);
  const mask = new BigInt64Array(rows.length * columns);
  rows.forEach((tokens, row) =>
    tokens.forEach((token, column) => {
      hidden.set(token, (row * columns + column) * width);
      mask[row * columns + column] = 1n;
    }),
  );
  return { hidden, mask, rows: rows.length, columns, width };
}

describe("pooling", () => {
  it("cls takes the first token's vector, normalised", () => {
    const [vector] = pool(states([[[3, 4], [100, -100], [7, 7]]]), "cls", true);
    expect([...vector!]).toEqual([0.6, 0.8].map((x) => Math.fround(x)));
  });

  it("mean averages the real tokens only, then normalises", () => {
    const [long, short] = pool(states([[[3, 0], [3, 4], [3, 8]], [[0, 2]]]), "mean", true);
    expect([...long!].map((x) => x.toFixed(6))).toEqual([0.6, 0.8].map((x) => x.toFixed(6)));
    expect([...short!]).toEqual([0, 1]); // the padding's 99s are not averaged in
  });

  it("normalize false leaves the pooled vector's length alone", () => {
    expect([...pool(states([[[3, 4]]]), "cls", false)[0]!]).toEqual([3, 4]);
    expect([...pool(states([[[2, 0], [4, 0]]]), "mean", false)[0]!]).toEqual([3, 0]);
  });

  it("for any batch, each row's cls vector is its own first token normalised, whatever the padding and the other tokens", () => {
    const token = (width: number) => fc.array(fc.float({ min: -10, max: 10, noNaN: true, noDefaultInfinity: true }), { minLength: width, maxLength: width });
    const batch = fc.integer({ min: 1, max: 6 }).chain((width) => fc.array(fc.array(token(width), { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 4 }));
    fc.assert(
      fc.property(batch, (rows) => {
        const pooled = pool(states(rows), "cls", true);
        rows.forEach((tokens, row) => {
          const expected = normaliseInPlace(Float32Array.from(tokens[0]!));
          pooled[row]!.forEach((value, d) => expect(value).toBeCloseTo(expected[d]!, 5));
        });
      }),
    );
  });
});

describe("model manifest", () => {
  const minilm = { modelId: "sentence-transformers/all-MiniLM-L6-v2", dimensions: 384, maxTokens: 256, pooling: "mean", normalize: true, licence: "Apache-2.0" };
  const bge = { modelId: "BAAI/bge-small-en-v1.5", dimensions: 384, maxTokens: 512, pooling: "cls", normalize: true, queryPrefix: "Represent this sentence for searching relevant passages: ", passagePrefix: "" };

  it("reads a manifest written before pooling options and prefixes existed, with the old defaults and the same id", () => {
    const settings = settingsFromManifest({ modelId: "sentence-transformers/all-MiniLM-L6-v2", dimensions: 384, maxTokens: 256 }, "old.json");
    expect(settings).toMatchObject({ pooling: "mean", normalize: true, queryPrefix: "", passagePrefix: "" });
    expect(vectorSpaceId(settings)).toBe("sentence-transformers/all-MiniLM-L6-v2");
    expect(vectorSpaceId(settingsFromManifest(minilm, "minilm.json"))).toBe("sentence-transformers/all-MiniLM-L6-v2");
  });

  it("gives passages of differently pooled or prefixed models distinct ids, and ignores the query prefix (queries are never stored)", () => {
    const bgeId = vectorSpaceId(settingsFromManifest(bge, "bge.json"));
    expect(bgeId).toBe("BAAI/bge-small-en-v1.5 (pooling=cls)");
    expect(vectorSpaceId(settingsFromManifest({ ...bge, queryPrefix: "" }, "bge.json"))).toBe(bgeId);
    expect(vectorSpaceId(settingsFromManifest({ ...bge, passagePrefix: "passage: " }, "bge.json"))).not.toBe(bgeId);
    expect(vectorSpaceId(settingsFromManifest({ ...bge, pooling: "mean" }, "bge.json"))).not.toBe(bgeId);
    expect(vectorSpaceId(settingsFromManifest({ ...bge, normalize: false }, "bge.json"))).not.toBe(bgeId);
  });

  it("rejects a manifest it cannot honour, naming the file, the field and what to do", () => {
    const attempt = () => settingsFromManifest({ ...bge, pooling: "max" }, "/models/x/memledger-model.json");
    expect(attempt).toThrow(EmbedderUnavailable);
    expect(attempt).toThrow(/\/models\/x\/memledger-model\.json: pooling must be one of "mean", "cls", got "max".*re-run the fetch script/);
    expect(() => settingsFromManifest({ ...bge, queryPrefix: 3 }, "m.json")).toThrow(/queryPrefix must be a string/);
    expect(() => settingsFromManifest({ ...bge, dimensions: 0 }, "m.json")).toThrow(/dimensions must be a positive integer/);
    expect(() => settingsFromManifest([], "m.json")).toThrow(/expected a JSON object/);
  });
});
