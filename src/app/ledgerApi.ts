import type { MemoryNeighbourhood, NeighbourhoodOptions } from "../memoryGraph/memoryNeighbourhood.js";
import type { CubeGrant, PrincipalState } from "../../domain/governance/accessState.js";
import type { Grantee } from "../../domain/governance/governanceEvents.js";
import type { CubePermission, KeyScope, PrincipalKind, TenantRole } from "../../domain/governance/permissions.js";
import type { FreezeReason } from "../../domain/memory/memoryEvents.js";
import type { AsOf } from "../../projections/asOf.js";
import type { HistoryEntry } from "../../projections/memoryHistory.js";
import type { MemoryDiff } from "../../projections/memoryDiff.js";
import type { MemoryView } from "../../projections/memoryView.js";
import type { BranchReport, CubeView, ListMemoriesOptions, NewCubeInput, RollbackReport } from "../cube/cubeService.js";
import type { CubeChanges, ListCubesOptions } from "../cube/cubeService.js";
import type { TransferReport, TransferRequest } from "../cubeTransfer/memoryTransfer.js";
import type { FanOutReport, FanOutRequest } from "../cubeTransfer/fanOutAdd.js";
import type { ErasureCertificate } from "../erasure/subjectErasure.js";
import type { FeedOptions, FeedSubscription } from "../feed/memoryEventFeed.js";
import type { IssuedKey } from "../governance/governanceService.js";
import type { AddMemoriesRequest, AddMemoriesResult } from "../ingestion/ingestionService.js";
import type { JobRecord, ListJobsOptions } from "../jobs/jobBusPort.js";
import type { WaitedJob } from "../jobs/waitForJob.js";
import type { MemoryEdit, NewMemoryInput, WriteOptions } from "../memory/memoryService.js";
import type { ReadModelLag } from "../readModels/projectionRunner.js";
import type { ReadQuery, StoredReadRecord } from "../readAudit/readAuditPort.js";
import type { ReportsApi } from "../compliance/reportsApi.js";
import type { RetentionSweepRequest } from "../scheduler/retentionSweep.js";
import type { ScheduleRequest } from "../scheduler/scheduledCommands.js";
import type { SearchRequest, SearchResponse } from "../search/searchRequest.js";
import type { SubjectExportDocument, SubjectExportPaging } from "../subjectExport/subjectExportDocument.js";
import type { RedactionLedgerApi } from "../redaction/redactionLedgerApi.js";
import type { CommandContext } from "../command/commandContext.js";
import type { HoldsApi } from "../legalHold/holdsApi.js";
import type { RetentionApi } from "../retention/retentionApi.js";
import type { TamperEvidenceApi } from "../tamperEvidence/tamperEvidenceApi.js";
import type { MemReaderLedgerApi } from "../memReader/memReaderFacade.js";
import type { DocumentsApi } from "../documentReader/documentsApi.js";
import type { DecisionsApi } from "../memoryDecisions/decisionsApi.js";
import type { InterchangeApi } from "../cubeInterchange/interchangeApi.js";
import type { FeedbackApi } from "../memFeedback/feedbackApi.js";
import type { PreferencesApi } from "../preferences/preferencesApi.js";

/**
 * What a caller acting as a principal may add to a command: why, and how it
 * relates to other requests. Who acts and for which tenant come from the
 * principal, never from the caller.
 */
export type RequestOptions = Pick<CommandContext, "reason" | "correlationId" | "causationId" | "commandId">;

export interface NewPrincipalInput {
  readonly principalId: string;
  readonly kind: PrincipalKind;
  readonly displayName?: string;
  readonly roles?: readonly TenantRole[];
  readonly groups?: readonly string[];
}

/** A principal as listed: never its keys' hashes. */
export type PrincipalView = PrincipalState;

export interface ApiKeyView {
  readonly keyId: string;
  readonly principalId: string;
  readonly prefix: string;
  readonly scopes: readonly KeyScope[];
  readonly expiresAt?: string;
  readonly revoked: boolean;
}

/** Principals, keys, grants and delegations of the caller's tenant. */
export interface GovernanceApi<Ctx> {
  /** The principal the calls act as (the trusted system principal on the root ledger). */
  whoAmI(): Promise<PrincipalView>;
  principals(asOf?: AsOf): Promise<readonly PrincipalView[]>;
  principal(principalId: string, asOf?: AsOf): Promise<PrincipalView>;
  createPrincipal(input: NewPrincipalInput, ctx?: Ctx): Promise<PrincipalView>;
  grantRole(principalId: string, role: TenantRole, ctx?: Ctx): Promise<PrincipalView>;
  revokeRole(principalId: string, role: TenantRole, ctx?: Ctx): Promise<PrincipalView>;
  joinGroup(principalId: string, group: string, ctx?: Ctx): Promise<PrincipalView>;
  leaveGroup(principalId: string, group: string, ctx?: Ctx): Promise<PrincipalView>;
  disable(principalId: string, ctx?: Ctx): Promise<PrincipalView>;
  enable(principalId: string, ctx?: Ctx): Promise<PrincipalView>;
  /** The whole key is in the answer once; only its hash is stored. */
  issueKey(principalId: string, request: { readonly scopes: readonly KeyScope[]; readonly expiresAt?: string }, ctx?: Ctx): Promise<IssuedKey>;
  keys(principalId?: string): Promise<readonly ApiKeyView[]>;
  revokeKey(keyId: string, ctx?: Ctx): Promise<ApiKeyView>;
  cubeGrants(cubeId: string, asOf?: AsOf): Promise<readonly CubeGrant[]>;
  grantCube(cubeId: string, grantee: Grantee, permission: CubePermission, ctx?: Ctx): Promise<readonly CubeGrant[]>;
  revokeCube(cubeId: string, grantee: Grantee, permission: CubePermission, ctx?: Ctx): Promise<readonly CubeGrant[]>;
  /** A user lets an agent act for them (`onBehalfOf`); both names are recorded on what the agent does. */
  delegate(userId: string, agentId: string, ctx?: Ctx): Promise<void>;
  revokeDelegation(userId: string, agentId: string, ctx?: Ctx): Promise<void>;
}

/** Who read what: served from the read audit's indexes. */
export interface ReadAuditApi {
  whoRead(memoryId: string, query?: Omit<ReadQuery, "tenantId">): Promise<readonly StoredReadRecord[]>;
  readsBy(principalId: string, query?: Omit<ReadQuery, "tenantId">): Promise<readonly StoredReadRecord[]>;
}

/**
 * Everything a caller can do with memories, cubes, jobs and governance. `Ctx`
 * is what a command may carry: a whole CommandContext for trusted in-process
 * code (the root ledger), RequestOptions for a principal (`ledger.as(...)`).
 */
export interface LedgerApi<Ctx> {
  readonly cubes: {
    create(input: NewCubeInput, ctx?: Ctx): Promise<CubeView>;
    get(cubeId: string): Promise<CubeView>;
    /** Removed cubes are listed only with `includeRemoved`. */
    list(tenantId?: string, options?: ListCubesOptions): Promise<readonly CubeView[]>;
    memories(cubeId: string, options?: ListMemoriesOptions): Promise<readonly MemoryView[]>;
    rollback(cubeId: string, toTime: string, ctx?: Ctx): Promise<RollbackReport>;
    branch(cubeId: string, asOf: string, target?: { cubeId?: string; name?: string }, ctx?: Ctx): Promise<BranchReport>;
    /** A delayed job that archives the cube's activated units unchanged for `olderThanDays`. */
    scheduleRetentionSweep(cubeId: string, request: RetentionSweepRequest, ctx?: Ctx): Promise<JobRecord>;
    /** Hot-plug (cube admin): rename the cube or change its description. */
    update(cubeId: string, changes: CubeChanges, ctx?: Ctx): Promise<CubeView>;
    /** Hot-plug (cube admin): a soft, audited, reversible removal; reads, searches and writes answer 410 until reinstated. */
    remove(cubeId: string, ctx?: Ctx): Promise<CubeView>;
    reinstate(cubeId: string, ctx?: Ctx): Promise<CubeView>;
  };
  readonly memories: {
    create(input: NewMemoryInput, ctx?: Ctx): Promise<MemoryView>;
    /** MemOS `add`: several memories at once, sync (activated on return) or async (a job activates them). */
    add(cubeId: string, request: AddMemoriesRequest, ctx?: Ctx): Promise<AddMemoriesResult>;
    /** A durable delayed command (archive, freeze, activate) run by the job bus when due. */
    schedule(memoryId: string, request: ScheduleRequest, ctx?: Ctx): Promise<JobRecord>;
    activate(memoryId: string, ctx?: Ctx, options?: WriteOptions): Promise<MemoryView>;
    edit(memoryId: string, edit: MemoryEdit, ctx?: Ctx, options?: WriteOptions): Promise<MemoryView>;
    merge(memoryId: string, successorId: string, ctx?: Ctx, options?: WriteOptions): Promise<MemoryView>;
    archive(memoryId: string, ctx?: Ctx, options?: WriteOptions): Promise<MemoryView>;
    restore(memoryId: string, ctx?: Ctx, options?: WriteOptions): Promise<MemoryView>;
    freeze(memoryId: string, reason: FreezeReason, note?: string, ctx?: Ctx, options?: WriteOptions): Promise<MemoryView>;
    erase(memoryId: string, ctx?: Ctx): Promise<MemoryView>;
    revert(memoryId: string, toRevision: number, ctx?: Ctx, options?: WriteOptions): Promise<MemoryView>;
    get(memoryId: string, asOf?: AsOf): Promise<MemoryView>;
    history(memoryId: string): Promise<readonly HistoryEntry[]>;
    diff(memoryId: string, fromRevision: number, toRevision: number): Promise<MemoryDiff>;
    /** The graph around a unit (entities it mentions, merges, derivations), limited to the units of its cube the caller may read (src/memoryGraph/). */
    neighbourhood(memoryId: string, options?: NeighbourhoodOptions): Promise<MemoryNeighbourhood>;
    /** Copy or move a unit to another cube, with `copiedFrom` / `movedTo` lineage (src/cubeTransfer/). */
    transfer(memoryId: string, request: TransferRequest, ctx?: Ctx): Promise<TransferReport>;
    /** One add written to several cubes, each independent, reported per cube. */
    fanOut(request: FanOutRequest, ctx?: Ctx): Promise<FanOutReport>;
  };
  readonly subjects: {
    erase(subjectId: string, ctx?: Ctx): Promise<ErasureCertificate>;
    certificates(subjectId: string): Promise<readonly ErasureCertificate[]>;
    /** Access and portability (GDPR art. 15, 20): the subject's units in the caller's tenant, their versions, reads and changes; one page. */
    export(subjectId: string, paging?: SubjectExportPaging): Promise<SubjectExportDocument>;
  };
  readonly jobs: {
    get(jobId: string): Promise<JobRecord>;
    list(options?: ListJobsOptions): Promise<readonly JobRecord[]>;
    /** Resolves when the job is done or dead, or when the timeout passes (`finished: false`). */
    wait(jobId: string, timeoutMs: number): Promise<WaitedJob>;
    /** Sends a dead job back to the queue. */
    retry(jobId: string): Promise<JobRecord>;
  };
  /** Hybrid search (vector + BM25 + graph, fused) over one or more cubes, now or as of a moment. */
  search(request: SearchRequest): Promise<SearchResponse>;
  readonly readModels: {
    /** Each read model's checkpoint and how far it is behind the log. */
    lag(): Promise<readonly ReadModelLag[]>;
    /** Projects a read model from zero beside the live one and switches when caught up. */
    rebuild(name: string): Promise<{ events: number; seconds: number }>;
    /** Resolves true once every read model folded the events written so far. */
    catchUp(timeoutMs?: number): Promise<boolean>;
  };
  /** Memory events from a log position, catch-up then live; close the subscription when done. */
  readonly feed: {
    subscribe(options?: FeedOptions): FeedSubscription;
  };
  readonly governance: GovernanceApi<Ctx>;
  readonly audit: ReadAuditApi;
  /** Legal holds on a memory, a cube or a data subject, and the erasures they keep waiting. */
  readonly holds: HoldsApi<Ctx>;
  /** Retention policies per cube and memory type, applied by recurring sweeps. */
  readonly retention: RetentionApi<Ctx>;
  /** Per-cube masking of personal data at ingest: the setting, what was masked, the sealed originals. */
  readonly redaction: RedactionLedgerApi<Ctx>;
  /** Compliance reports of the tenant (change log, reads, lineage, knowledge at T, erasures, subject access, grants): `report.read`. */
  readonly reports: ReportsApi;
  /** Tamper evidence of the event log: hash-chain walk, signed checkpoints (docs/compliance.md). */
  readonly tamperEvidence: TamperEvidenceApi;
  /** Documents (text, Markdown, HTML, PDF) recorded whole, then chunked into units with their page, headings and characters: `memory.write` on the cube. */
  readonly documents: DocumentsApi<Ctx>;
  /** Merge and conflict decisions on ingested units: listed, explained, reverted; proposals accepted or rejected; the per-cube mode. */
  readonly decisions: DecisionsApi<Ctx>;
  /** Conversations in, memories with sources out (docs/memreader.md): raw turns stored first, then fast or fine extraction; `memory.write` on the cube. */
  readonly memReader: MemReaderLedgerApi<Ctx>;
  /** Portable MemCubes (docs/interchange.md): export a cube with its history, import it elsewhere; mem0 and plain JSONL in, flat JSONL out. */
  readonly interchange: InterchangeApi<Ctx>;
  /** MemFeedback (docs/feedback-and-preferences.md): a correction in plain words planned over the caller's units, applied as audited commands, undone; `memory.write` on the cube. */
  readonly feedback: FeedbackApi<Ctx>;
  /** Preference memory (docs/feedback-and-preferences.md): implicit preferences inferred by a job, a profile per user. */
  readonly preferences: PreferencesApi<Ctx>;
}
