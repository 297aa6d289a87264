import { Effect, Layer } from "effect";
import { exists } from "../../domain/memory/memoryState.js";
import { MemoryRepository } from "../memory/memoryRepository.js";
import { MemoryService, type MemoryServiceApi } from "../memory/memoryService.js";
import { redactFields } from "./redactContent.js";
import { layerRedaction, Redaction } from "./redactionService.js";

/**
 * MemoryService with the cube's redaction applied before content is written:
 * create (and so sync and async add, which create through it) and edit mask
 * personal data first, so the clear text never enters the log; the masking is
 * then recorded (counts, and the sealed original when the cube keeps it).
 */
const layerRedactingMemoryService = Layer.effect(
  MemoryService,
  Effect.gen(function* () {
    const inner = yield* MemoryService;
    const redaction = yield* Redaction;
    const repo = yield* MemoryRepository;

    const create: MemoryServiceApi["create"] = (input, ctx) =>
      Effect.gen(function* () {
        // A missing cube or another tenant's is left for the inner create to refuse, as without redaction.
        const settings = yield* redaction.settings(input.cubeId, ctx.tenantId).pipe(Effect.catchTag("CubeNotFound", () => Effect.succeed(undefined)));
        if (!settings?.enabled) return yield* inner.create(input, ctx);
        const redacted = redactFields(input, settings);
        const view = yield* inner.create(redacted.fields, ctx);
        yield* redaction.record(view.memoryId, "create", redacted, settings, ctx);
        return view;
      });

    const edit: MemoryServiceApi["edit"] = (memoryId, change, ctx, options) =>
      Effect.gen(function* () {
        const unit = (yield* repo.load(memoryId)).projection.state;
        const settings = change.content && exists(unit) ? yield* redaction.settings(unit.cubeId) : undefined;
        if (!settings?.enabled || !change.content) return yield* inner.edit(memoryId, change, ctx, options);
        const redacted = redactFields(change.content, settings);
        const view = yield* inner.edit(memoryId, { ...change, content: redacted.fields }, ctx, options);
        yield* redaction.record(memoryId, "edit", redacted, settings, ctx);
        return view;
      });

    return { ...inner, create, edit } satisfies MemoryServiceApi;
  }),
);

/** The given MemoryService layer wrapped with per-cube redaction; also provides the Redaction service. */
export const withRedaction = <E, R>(memoryService: Layer.Layer<MemoryService, E, R>) =>
  Layer.provideMerge(layerRedactingMemoryService, Layer.provideMerge(layerRedaction, memoryService));
