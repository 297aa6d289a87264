import { restrictNeighbourhood } from "../memoryGraph/memoryNeighbourhood.js";
import { createHash } from "node:crypto";
import { personalVisibilities, type Resource } from "../../domain/governance/authorize.js";
import type { AccessState } from "../../domain/governance/accessState.js";
import type { AsOf } from "../../projections/asOf.js";
import type { MemoryView } from "../../projections/memoryView.js";
import type { ErasureCertificate } from "../erasure/subjectErasure.js";
import type { FeedOptions, FeedSubscription } from "../feed/memoryEventFeed.js";
import type { PublicMemoryEvent } from "../feed/publicMemoryEvent.js";
import { actorOf, principalIdOfActor, type ActingPrincipal } from "../governance/actingPrincipal.js";
import { governanceFacade, type GovernanceOps } from "./governanceFacade.js";
import { PolicyGate } from "../governance/policyGate.js";
import { reportsFacade, type ReportSources } from "../compliance/reportsFacade.js";
import { scopedTamperEvidence } from "../tamperEvidence/tamperEvidenceApi.js";
import { jobNotFound } from "../jobs/jobBusErrors.js";
import type { JobRecord } from "../jobs/jobBusPort.js";
import type { ReadAction, ReadAuditLog } from "../readAudit/readAuditPort.js";
import { exportSubject, type SubjectExportSources } from "../subjectExport/subjectExport.js";
import { exportFingerprint } from "../subjectExport/exportFingerprint.js";
import { cubeNotFound, memoryNotFound } from "../command/appErrors.js";
import { scopedRedaction } from "../redaction/redactionLedgerApi.js";
import { memReaderFacade } from "../memReader/memReaderFacade.js";
import { feedbackFacade } from "../memFeedback/feedbackApi.js";
import type { FeedbackOps } from "../memFeedback/feedbackOps.js";
import { preferencesFacade } from "../preferences/preferencesApi.js";
import { profileOf } from "../preferences/userProfile.js";
import { scopedDecisions } from "../memoryDecisions/decisionsApi.js";
import { canonicalJson } from "../command/canonicalJson.js";
import type { CommandContext } from "../command/commandContext.js";
import type { GovernanceApi, LedgerApi, RequestOptions } from "./ledgerApi.js";
import { fanOutAdd, fanOutCommandId } from "../cubeTransfer/fanOutAdd.js";
import { documentsFacade } from "../documentReader/documentsApi.js";
import { interchangeFacade, type InterchangeOps } from "../cubeInterchange/interchangeApi.js";

/** What the principal-scoped facade needs from the trusted one beneath it. */
export interface LedgerInternals {
  /** MemFeedback whose candidates come from the given search: a principal's own (private units of others left out, the reads audited). */
  feedbackFor(search: LedgerApi<CommandContext>["search"]): FeedbackOps;
  readonly root: Omit<LedgerApi<CommandContext>, "governance" | "audit">;
  /** The tenant's governance fold, caught up with the log. */
  access(tenantId: string): Promise<AccessState>;
  /** The tenant a cube was created in; undefined when there is no such cube. */
  tenantOfCube(cubeId: string): Promise<string | undefined>;
  certificates(subjectId: string, tenantId: string): Promise<readonly ErasureCertificate[]>;
  /** What a subject access export reads (trusted: the facade checks `subject.export` first). */
  readonly subjectExport: SubjectExportSources;
  /** What cube export and import read and write (trusted: the facade checks `cube.export` / `cube.create` first). */
  readonly interchange: InterchangeOps;
  /** A unit as it is (or was), whether or not its cube is removed: the gate decides before the removal is told (hot-plug). */
  unitEvenIfCubeRemoved(memoryId: string, asOf?: AsOf): Promise<MemoryView>;
  /** Throws CubeRemoved (410) when the cube was removed at `asOf` (now when absent). */
  requireLiveCube(cubeId: string, memoryId?: string, asOf?: AsOf): Promise<void>;
  /** Trusted: the creator of a cube gets `admin` on it. */
  grantCreator(cubeId: string, principalId: string, ctx: CommandContext): Promise<void>;
  readonly readAudit: ReadAuditLog;
  readonly reports: ReportSources;
  now(): string;
  readonly governance: GovernanceOps;
}

/** Units a feed subscription remembers for its audit record; past this it records that it stopped counting. */
const feedAuditLimit = 10_000;

const fingerprint = (request: unknown): string => createHash("sha256").update(canonicalJson(request)).digest("hex");

/**
 * The ledger as one principal sees it: every call asks the policy decision
 * point first, with the principal's tenant, roles, grants and key scopes as
 * they stand now, and writes nothing when refused; every read is recorded in
 * the read audit. REST, CLI and MCP act through this facade.
 */
export function scopedLedger(internals: LedgerInternals, acting: ActingPrincipal): LedgerApi<RequestOptions> {
  const { root } = internals;
  const tenantId = acting.tenantId;
  const gate = async () => new PolicyGate(acting, await internals.access(tenantId));
  const ctxOf = (options: RequestOptions = {}): CommandContext => ({
    tenantId,
    actor: actorOf(acting.principalId),
    ...(acting.onBehalfOf !== undefined ? { onBehalfOf: acting.onBehalfOf } : {}),
    ...(options.reason !== undefined ? { reason: options.reason } : {}),
    ...(options.correlationId !== undefined ? { correlationId: options.correlationId } : {}),
    ...(options.causationId !== undefined ? { causationId: options.causationId } : {}),
    ...(options.commandId !== undefined ? { commandId: options.commandId } : {}),
  });
  // The caller's names as an author (events name `principal:<id>`) or a subject (`userId`): private and session units are visible to them.
  // The user an agent acts for counts while the delegation stands, asked afresh on each call (a revocation holds on the next request).
  const viewerNames = (g: PolicyGate) => g.personalNames().flatMap((name) => [name, actorOf(name)]);

  const audited = (action: ReadAction, request: unknown, cubeIds: readonly string[], memoryIds: readonly string[]) =>
    internals.readAudit.record({
      at: internals.now(),
      tenantId,
      principalId: acting.principalId,
      ...(acting.onBehalfOf !== undefined ? { onBehalfOf: acting.onBehalfOf } : {}),
      action,
      queryFingerprint: fingerprint({ action, request }),
      cubeIds,
      memoryIds,
      ...(acting.requestId !== undefined ? { requestId: acting.requestId } : {}),
    });

  const cubeResource = async (cubeId: string): Promise<Resource> => {
    const owner = await internals.tenantOfCube(cubeId);
    if (owner === undefined) throw cubeNotFound(cubeId);
    return { tenantId: owner, cubeId };
  };
  const memoryResource = async (view: MemoryView): Promise<Resource> => {
    const authorId = principalIdOfActor(view.createdBy);
    // A subject may be written as a principal's id or as its actor name; the search pre-filter takes both, so must this.
    const subject = view.content?.userId;
    const userId = subject !== undefined ? (principalIdOfActor(subject) ?? subject) : undefined;
    const sessionId = view.content?.sessionId;
    return {
      ...(await cubeResource(view.cubeId).catch(() => ({ tenantId: "", cubeId: view.cubeId }))),
      memory: {
        visibility: view.attributes.visibility,
        ...(authorId !== undefined ? { authorId } : {}),
        ...(userId !== undefined ? { userId } : {}),
        ...(sessionId !== undefined ? { sessionId } : {}),
      },
    };
  };
  /** A principal that no longer exists or was disabled is refused everything, even what needs no grant. */
  const requireActive = (g: PolicyGate) => {
    if (g.principal === undefined || g.principal.disabled) g.require("cube.read", { tenantId }, () => cubeNotFound(""));
  };

  /** The unit as it is now, if the caller may do `action` on it; otherwise the same 404 as a unit that does not exist. */
  const unitFor = async (memoryId: string, action: "memory.read" | "memory.history" | "memory.write", asOf?: AsOf, evenIfCubeRemoved = false): Promise<MemoryView> => {
    const view = await internals.unitEvenIfCubeRemoved(memoryId, asOf);
    const g = await gate();
    const resource = await memoryResource(view);
    // A private unit is a 404 to all but its author, its subject and the cube's admins (the gate decides).
    g.require(action, resource, () => memoryNotFound(memoryId));
    // Only then is a removed cube told (410): a principal who may not see the unit learns nothing of it.
    if (!evenIfCubeRemoved) await internals.requireLiveCube(view.cubeId, memoryId, asOf);
    return view;
  };
  const onCube = async (cubeId: string, action: Parameters<PolicyGate["require"]>[0]): Promise<PolicyGate> => {
    const resource = await cubeResource(cubeId);
    const g = await gate();
    g.require(action, resource, () => cubeNotFound(cubeId));
    return g;
  };
  const onTenant = async (action: Parameters<PolicyGate["require"]>[0]): Promise<PolicyGate> => {
    const g = await gate();
    g.require(action, { tenantId }, () => new Error(`${action}: no such resource`));
    return g;
  };
  const jobTenant = async (job: JobRecord): Promise<string | undefined> => {
    if (job.cubeId !== undefined) return internals.tenantOfCube(job.cubeId);
    // Jobs without a cube carry their requester's tenant in the payload (src/scheduler/requester.ts).
    const tenant = job.payload !== null && typeof job.payload === "object" && !Array.isArray(job.payload) ? (job.payload as Record<string, unknown>).tenantId : undefined;
    return typeof tenant === "string" ? tenant : undefined;
  };
  const visibleJob = async (jobId: string): Promise<JobRecord> => {
    const job = await root.jobs.get(jobId);
    const g = await gate();
    g.require("job.read", { tenantId: (await jobTenant(job)) ?? "" }, () => jobNotFound(jobId));
    return job;
  };

  const scoped: LedgerApi<RequestOptions> = {
    cubes: {
      create: async (input, options) => {
        const g = await onTenant("cube.create");
        const created = await root.cubes.create(input, ctxOf(options));
        // Whoever creates a cube administers it, even when their role gives only write on every cube.
        if (!g.isCubeAdmin(created.cubeId)) await internals.grantCreator(created.cubeId, acting.principalId, ctxOf(options));
        return created;
      },
      get: async (cubeId) => {
        await onCube(cubeId, "cube.read");
        return root.cubes.get(cubeId);
      },
      // Listing every cube's name is a tenant role; without one, a principal lists the cubes it was granted.
      list: async (_tenantId, listOptions) => {
        const g = await gate();
        requireActive(g);
        const cubes = await root.cubes.list(tenantId, listOptions);
        return g.allows("cube.list", { tenantId }) ? cubes : cubes.filter((cube) => g.allows("cube.read", { tenantId, cubeId: cube.cubeId }));
      },
      memories: async (cubeId, options) => {
        const g = await onCube(cubeId, "cube.read");
        const units = await root.cubes.memories(cubeId, options);
        const shown: MemoryView[] = [];
        for (const unit of units) if (g.allows("memory.read", await memoryResource(unit))) shown.push(unit);
        audited("cube.list", { cubeId, options }, [cubeId], shown.map((u) => u.memoryId));
        return shown;
      },
      rollback: async (cubeId, toTime, options) => {
        await onCube(cubeId, "cube.rollback");
        return root.cubes.rollback(cubeId, toTime, ctxOf(options));
      },
      branch: async (cubeId, asOf, target, options) => {
        const g = await onCube(cubeId, "cube.branch");
        g.require("cube.create", { tenantId }, () => cubeNotFound(cubeId));
        const report = await root.cubes.branch(cubeId, asOf, target, ctxOf(options));
        if (!g.isCubeAdmin(report.cube.cubeId)) await internals.grantCreator(report.cube.cubeId, acting.principalId, ctxOf(options));
        return report;
      },
      scheduleRetentionSweep: async (cubeId, request, options) => {
        await onCube(cubeId, "cube.write");
        return root.cubes.scheduleRetentionSweep(cubeId, request, ctxOf(options));
      },
      update: async (cubeId, changes, options) => {
        await onCube(cubeId, "cube.update");
        return root.cubes.update(cubeId, changes, ctxOf(options));
      },
      remove: async (cubeId, options) => {
        await onCube(cubeId, "cube.remove");
        return root.cubes.remove(cubeId, ctxOf(options));
      },
      reinstate: async (cubeId, options) => {
        await onCube(cubeId, "cube.reinstate");
        return root.cubes.reinstate(cubeId, ctxOf(options));
      },
    },
    memories: {
      create: async (input, options) => {
        await onCube(input.cubeId, "memory.write");
        return root.memories.create(input, ctxOf(options));
      },
      add: async (cubeId, request, options) => {
        await onCube(cubeId, "memory.write");
        return root.memories.add(cubeId, request, ctxOf(options));
      },
      schedule: async (memoryId, request, options) => {
        await unitFor(memoryId, "memory.write");
        return root.memories.schedule(memoryId, request, ctxOf(options));
      },
      activate: async (id, options, write) => {
        await unitFor(id, "memory.write");
        return root.memories.activate(id, ctxOf(options), write);
      },
      edit: async (id, edit, options, write) => {
        await unitFor(id, "memory.write");
        return root.memories.edit(id, edit, ctxOf(options), write);
      },
      merge: async (id, successorId, options, write) => {
        await unitFor(id, "memory.write");
        await unitFor(successorId, "memory.read");
        return root.memories.merge(id, successorId, ctxOf(options), write);
      },
      archive: async (id, options, write) => {
        await unitFor(id, "memory.write");
        return root.memories.archive(id, ctxOf(options), write);
      },
      restore: async (id, options, write) => {
        await unitFor(id, "memory.write");
        return root.memories.restore(id, ctxOf(options), write);
      },
      freeze: async (id, reason, note, options, write) => {
        // A freeze (legal hold, retention) binds a unit of a removed cube too.
        await unitFor(id, "memory.write", undefined, true);
        return root.memories.freeze(id, reason, note, ctxOf(options), write);
      },
      erase: async (id, options) => {
        // Erasure stays separate from hot-plug removal: it works on a unit of a removed cube.
        await unitFor(id, "memory.write", undefined, true);
        return root.memories.erase(id, ctxOf(options));
      },
      revert: async (id, toRevision, options, write) => {
        await unitFor(id, "memory.write");
        return root.memories.revert(id, toRevision, ctxOf(options), write);
      },
      get: async (id, asOf) => {
        const view = await unitFor(id, "memory.read", asOf);
        audited("memory.get", { id, asOf }, [view.cubeId], [id]);
        return view;
      },
      history: async (id) => {
        const view = await unitFor(id, "memory.history");
        const entries = await root.memories.history(id);
        audited("memory.history", { id }, [view.cubeId], [id]);
        return entries;
      },
      diff: async (id, from, to) => {
        const view = await unitFor(id, "memory.history");
        const diff = await root.memories.diff(id, from, to);
        audited("memory.diff", { id, from, to }, [view.cubeId], [id]);
        return diff;
      },
      // The root walk keeps the units of the cube; this narrows it to those this caller may read (private units of others drop out).
      neighbourhood: async (id, options) => {
        const view = await unitFor(id, "memory.read");
        const g = await gate();
        const graph = await root.memories.neighbourhood(id, options);
        const visible = new Set<string>();
        for (const unit of await root.cubes.memories(view.cubeId)) if (g.allows("memory.read", await memoryResource(unit))) visible.add(unit.memoryId);
        const shown = restrictNeighbourhood(graph, visible);
        audited("memory.graph", { id, options }, [view.cubeId], shown.nodes.filter((n) => n.kind === "memory").map((n) => n.id.slice("memory:".length)));
        return shown;
      },
      // Read on the source (write for a move, which archives it) and write on the target; the copy reads the content, so it is audited.
      transfer: async (id, request, options) => {
        const view = await unitFor(id, request.mode === "move" ? "memory.write" : "memory.read");
        if (typeof request.targetCubeId === "string" && request.targetCubeId !== "") await onCube(request.targetCubeId, "memory.write");
        const report = await root.memories.transfer(id, request, ctxOf(options));
        audited("memory.transfer", { id, request }, [view.cubeId, report.copy.cubeId], [id]);
        return report;
      },
      // Each cube's add asks the gate itself, so a cube the caller may not write is refused in the report while the others go ahead.
      fanOut: (request, options) =>
        fanOutAdd(scoped.memories.add, request, (cubeId) => {
          const { commandId, ...rest } = options ?? {};
          const derived = fanOutCommandId(commandId, cubeId);
          return derived !== undefined ? { ...rest, commandId: derived } : rest;
        }),
    },
    subjects: {
      erase: async (subjectId, options) => {
        await onTenant("subject.erase");
        return root.subjects.erase(subjectId, ctxOf(options));
      },
      certificates: async (subjectId) => {
        await onTenant("audit.read");
        return internals.certificates(subjectId, tenantId);
      },
      export: async (subjectId, paging) => {
        await onTenant("subject.export");
        const requester = {
          tenantId,
          principalId: acting.principalId,
          ...(acting.onBehalfOf !== undefined ? { onBehalfOf: acting.onBehalfOf } : {}),
          ...(acting.requestId !== undefined ? { requestId: acting.requestId } : {}),
          queryFingerprint: exportFingerprint(subjectId, paging),
        };
        return exportSubject(internals.subjectExport, requester, subjectId, paging);
      },
    },
    jobs: {
      get: (jobId) => visibleJob(jobId),
      list: async (options) => {
        const g = await onTenant("job.read");
        if (options?.cubeId !== undefined) g.require("job.read", await cubeResource(options.cubeId), () => cubeNotFound(options.cubeId!));
        const jobs = await root.jobs.list(options);
        const mine: JobRecord[] = [];
        for (const job of jobs) if ((await jobTenant(job)) === tenantId) mine.push(job);
        return mine;
      },
      wait: async (jobId, timeoutMs) => {
        await visibleJob(jobId);
        return root.jobs.wait(jobId, timeoutMs);
      },
      retry: async (jobId) => {
        await visibleJob(jobId);
        await onTenant("job.retry");
        return root.jobs.retry(jobId);
      },
    },
    search: async (request) => {
      const g = await gate();
      for (const cubeId of request.cubeIds ?? []) {
        const resource = await cubeResource(cubeId);
        g.require("search", resource, () => cubeNotFound(cubeId));
      }
      // Private and session units of cubes the caller does not administer are filtered inside the retrievers, before ranking.
      // Both visibility filters are the facade's own: whatever a caller put there is replaced.
      const { privateVisibleTo: _names, sessionVisibleTo: _session, personalVisibleInCubes: _administered, ...asked } = request.filters ?? {};
      const administered = (request.cubeIds ?? []).filter((cubeId) => g.isCubeAdmin(cubeId));
      const seesAllPrivate = (request.cubeIds ?? []).length === administered.length;
      const visibleTo = {
        privateVisibleTo: viewerNames(g),
        ...(acting.sessionId !== undefined ? { sessionVisibleTo: acting.sessionId } : {}),
        ...(administered.length > 0 ? { personalVisibleInCubes: administered } : {}),
      };
      const scoped = { ...request, filters: seesAllPrivate ? asked : { ...asked, ...visibleTo } };
      const response = await root.search(scoped);
      audited("search", request, request.cubeIds ?? [], response.results.map((hit) => hit.memory.memoryId));
      return response;
    },
    readModels: {
      lag: async () => {
        await onTenant("readModel.admin");
        return root.readModels.lag();
      },
      rebuild: async (name) => {
        await onTenant("readModel.admin");
        return root.readModels.rebuild(name);
      },
      // Waiting for the read models reveals nothing; any principal may.
      catchUp: async (timeoutMs) => {
        requireActive(await gate());
        return root.readModels.catchUp(timeoutMs);
      },
    },
    feed: {
      subscribe: (options = {}) => authorizedFeed(options),
    },
    governance: governanceOf(),
    documents: documentsFacade((cubeId, request, ctx) => root.documents.add(cubeId, request, ctx), {
      tenantOfCube: (cubeId) => internals.tenantOfCube(cubeId),
      check: async (action, resource, notFound) => (await gate()).require(action, resource, notFound),
      ctxOf,
    }),
    reports: reportsFacade(internals.reports, { tenantId, check: async (action, resource, notFound) => (await gate()).require(action, resource, notFound) }),
    tamperEvidence: scopedTamperEvidence(root.tamperEvidence, { tenantId, check: async (action) => void (await onTenant(action)) }),
    redaction: scopedRedaction(root.redaction, {
      onCube,
      readableUnit: (memoryId) => unitFor(memoryId, "memory.read"),
      // Originals are a tenant role (memory.readUnredacted), not a cube grant: a DPO reads them without reading the cube.
      unredactableUnit: async (memoryId) => {
        const view = await root.memories.get(memoryId);
        const resource = await cubeResource(view.cubeId).catch(() => ({ tenantId: "", cubeId: view.cubeId }));
        (await gate()).require("memory.readUnredacted", resource, () => memoryNotFound(memoryId));
        return view;
      },
      audited,
      ctxOf,
    }),
    interchange: interchangeFacade<RequestOptions>(internals.interchange, {
      tenantId,
      actor: actorOf(acting.principalId),
      check: async (action, resource, notFound) => (await gate()).require(action, resource, notFound),
      ctxOf,
      recordExport: (cubeId, memoryIds, request) => audited("export", request, [cubeId], memoryIds),
      // Whoever imports a cube administers it, as whoever creates one does.
      onCubeCreated: async (cubeId, ctx) => {
        if (!(await gate()).isCubeAdmin(cubeId)) await internals.grantCreator(cubeId, acting.principalId, ctx);
      },
    }),
    memReader: memReaderFacade<RequestOptions>(root.memReader, {
      check: async (action, resource, notFound) => (await gate()).require(action, resource, notFound),
      ctxOf,
      tenantOfCube: internals.tenantOfCube,
    }),
    // The same facades as the root's, with the gate in front; feedback's candidates come from this principal's own search.
    feedback: feedbackFacade<RequestOptions>(
      internals.feedbackFor((request) => scoped.search(request)),
      { check: async (action, resource, notFound) => (await gate()).require(action, resource, notFound), ctxOf, tenantOfCube: internals.tenantOfCube },
    ),
    preferences: preferencesFacade<RequestOptions>(
      {
        infer: (cubeId, userId, ctx) => root.preferences.infer(cubeId, userId, ctx),
        // A profile is read from the user's units: a private or session one this principal may not see stays out of it.
        profile: async (cubeId, userId) => {
          const g = await gate();
          const shown: MemoryView[] = [];
          for (const unit of await root.cubes.memories(cubeId, { statuses: ["activated"] })) if (g.allows("memory.read", await memoryResource(unit))) shown.push(unit);
          return profileOf(cubeId, userId, shown);
        },
      },
      { check: async (action, resource, notFound) => (await gate()).require(action, resource, notFound), ctxOf, tenantOfCube: internals.tenantOfCube },
    ),
    audit: {
      whoRead: async (memoryId, query = {}) => {
        await onTenant("audit.read");
        return internals.readAudit.whoRead(memoryId, { ...query, tenantId });
      },
      readsBy: async (principalId, query = {}) => {
        // Anyone may see their own reads; others' need an audit role.
        if (principalId !== acting.principalId) await onTenant("audit.read");
        else requireActive(await gate());
        return internals.readAudit.readsBy(principalId, { ...query, tenantId });
      },
    },
    // A hold is a tenant matter (legal, data protection): roles decide, and it lives in the caller's tenant.
    holds: {
      place: async (request, options) => {
        await onTenant("hold.place");
        return root.holds.place(request, ctxOf(options));
      },
      release: async (holdId, reason, options) => {
        await onTenant("hold.release");
        return root.holds.release(holdId, reason, ctxOf(options));
      },
      list: async (options = {}) => {
        await onTenant("hold.read");
        return root.holds.list({ ...options, tenantId });
      },
      pendingErasures: async () => {
        await onTenant("hold.read");
        return root.holds.pendingErasures({ tenantId });
      },
    },
    decisions: scopedDecisions(root.decisions, { tenantId, onCube, ctxOf }),
    retention: {
      setPolicy: async (cubeId, policy, options) => {
        await onCube(cubeId, "retention.manage");
        return root.retention.setPolicy(cubeId, policy, ctxOf(options));
      },
      getPolicy: async (cubeId) => {
        await onCube(cubeId, "cube.read");
        return root.retention.getPolicy(cubeId);
      },
      removePolicy: async (cubeId, options) => {
        await onCube(cubeId, "retention.manage");
        return root.retention.removePolicy(cubeId, ctxOf(options));
      },
      // A dry run lists unit ids and what would happen to them: the same role as setting the policy.
      dryRun: async (cubeId, policy) => {
        await onCube(cubeId, "retention.manage");
        return root.retention.dryRun(cubeId, policy);
      },
      runs: async (cubeId) => {
        await onCube(cubeId, "cube.read");
        return root.retention.runs(cubeId);
      },
    },
  };

  return scoped;

  function governanceOf(): GovernanceApi<RequestOptions> {
    return governanceFacade(internals.governance, {
      tenantId,
      principalId: acting.principalId,
      ...(acting.scopes !== undefined ? { scopes: acting.scopes } : {}),
      self: async () => {
        const g = await gate();
        requireActive(g);
        return g.principal!;
      },
      check: async (action, resource, notFound) => (await gate()).require(action, resource, notFound),
      ctxOf,
    });
  }

  /**
   * The feed of the caller's tenant, filtered event by event against grants as
   * they stand when the event is delivered: a revoked grant stops the stream's
   * events of that cube from the next one on.
   */
  function authorizedFeed(options: FeedOptions): FeedSubscription {
    const delivered = new Set<string>();
    const cubes = new Set<string>();
    let checked: Promise<void> | undefined;
    const inner = root.feed.subscribe(options);
    const check = () =>
      (checked ??= options.cubeId !== undefined ? onCube(options.cubeId, "feed.read").then(() => undefined) : gate().then(requireActive));
    const allowed = async (event: PublicMemoryEvent): Promise<boolean> => {
      if (event.tenantId !== tenantId || event.cubeId === undefined) return false;
      const g = await gate();
      if (!g.allows("feed.read", { tenantId, cubeId: event.cubeId })) return false;
      if (g.isCubeAdmin(event.cubeId)) return true;
      // Events of a private or session unit go only to those who may see the unit (author, subject, its session, cube admins):
      // even without content, an event would tell the others that it exists.
      const view = await root.memories.get(event.memoryId).catch(() => undefined);
      return view === undefined || !personalVisibilities.includes(view.attributes.visibility) || g.allows("memory.read", await memoryResource(view));
    };
    let closed = false;
    const close = async () => {
      if (closed) return inner.close();
      closed = true;
      audited("feed.subscribe", options, options.cubeId !== undefined ? [options.cubeId] : [...cubes], [...delivered]);
      return inner.close();
    };
    return {
      close,
      [Symbol.asyncIterator]: async function* () {
        try {
          await check();
          for await (const event of inner) {
            if (!(await allowed(event))) continue;
            if (delivered.size < feedAuditLimit) delivered.add(event.memoryId);
            if (event.cubeId !== undefined) cubes.add(event.cubeId);
            yield event;
          }
        } finally {
          await close();
        }
      },
    };
  }
}
