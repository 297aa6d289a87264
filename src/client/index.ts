/**
 * `memledger/client`: the ledger over REST for code that runs apart from the
 * server (an agent, a script, a browser bundle). Only the HTTP client and the
 * types of what the routes take and answer: importing it must not load the
 * server, the event store or any native module (test/clientPackage.test.ts
 * checks), so every line below is either a client module or `export type`.
 */
export { connectMemLedger, MemLedgerHttpError, type HttpClientOptions, type RemoteLedger } from "./httpClient.js";
export { remoteHolds } from "./holdsClient.js";
export { remoteRetention } from "./retentionClient.js";
export { httpRedaction, type RedactionTransport } from "./redactionClient.js";

// The shapes the routes take and answer: the server's own types, so client and server cannot drift apart silently.
export type { ApiKeyView, GovernanceApi, LedgerApi, NewPrincipalInput, PrincipalView, ReadAuditApi, RequestOptions } from "../app/ledgerApi.js";
export type { HealthReport, ScopedLedger } from "../app/memLedger.js";
export type { AsOf } from "../../projections/asOf.js";
export type { MemoryView } from "../../projections/memoryView.js";
export type { HistoryEntry } from "../../projections/memoryHistory.js";
export type { MemoryDiff, FieldChange, TextChunk } from "../../projections/memoryDiff.js";
export type { CubeGrant, PrincipalState } from "../../domain/governance/accessState.js";
export type { Grantee } from "../../domain/governance/governanceEvents.js";
export type { CubePermission, KeyScope, PrincipalKind, TenantRole } from "../../domain/governance/permissions.js";
export type { FreezeReason } from "../../domain/memory/memoryEvents.js";
export type { BranchReport, CubeView, ListMemoriesOptions, NewCubeInput, RollbackReport } from "../cube/cubeService.js";
export type { MemoryEdit, NewMemoryInput, WriteOptions } from "../memory/memoryService.js";
export type { AddMemoriesRequest, AddMemoriesResult, IngestMode, NewMemoryItem } from "../ingestion/ingestionService.js";
export type { SearchHit, SearchMode, SearchRequest, SearchResponse, ScoreParts } from "../search/searchRequest.js";
export type { JobRecord, ListJobsOptions } from "../jobs/jobBusPort.js";
export type { WaitedJob } from "../jobs/waitForJob.js";
export type { ScheduleRequest, SchedulableCommand } from "../scheduler/scheduledCommands.js";
export type { RetentionSweepRequest } from "../scheduler/retentionSweep.js";
export type { ErasureCertificate } from "../erasure/subjectErasure.js";
export type { SubjectExportDocument, SubjectExportPaging } from "../subjectExport/subjectExportDocument.js";
export type { FeedOptions, FeedSubscription } from "../feed/memoryEventFeed.js";
export type { PublicMemoryEvent } from "../feed/publicMemoryEvent.js";
export type { ReadModelLag } from "../readModels/projectionRunner.js";
export type { ReadQuery, StoredReadRecord } from "../readAudit/readAuditPort.js";
export type { HoldsApi, HoldView, ListHoldsOptions, PendingErasureView, PlaceHoldRequest } from "../legalHold/holdsApi.js";
export type { RetentionApi, RetentionDryRun, RetentionPolicyView, RetentionRunReport } from "../retention/retentionApi.js";
export type { RedactionLedgerApi, RedactionSettingsInput } from "../redaction/redactionLedgerApi.js";
export type { ReportsApi } from "../compliance/reportsApi.js";
export type { TamperEvidenceApi } from "../tamperEvidence/tamperEvidenceApi.js";
export type { CubeChanges } from "../cube/cubeService.js";
export type { TransferMode, TransferReport, TransferRequest } from "../cubeTransfer/memoryTransfer.js";
export type { FanOutOutcome, FanOutReport, FanOutRequest } from "../cubeTransfer/fanOutAdd.js";
export type { DecisionsApi } from "../memoryDecisions/decisionsApi.js";
export type { DecisionStatus, DecisionView } from "../../domain/memoryDecisions/decisionLog.js";
export type { DocumentsApi } from "../documentReader/documentsApi.js";
export type { AddDocumentRequest, AddDocumentResult } from "../documentReader/documentReaderService.js";
export type { MemReaderLedgerApi } from "../memReader/memReaderFacade.js";
export type { AddMessagesRequest, ConversationMessage, ReaderMode } from "../memReader/conversationMessage.js";
export type { AddMessagesResult } from "../memReader/memReaderService.js";
export type { InterchangeApi, ExternalImportReport, ExternalImportRequest } from "../cubeInterchange/interchangeApi.js";
export type { ImportOptions, ImportReport } from "../cubeInterchange/cubeImport.js";
export type { ExportOptions } from "../cubeInterchange/interchangeRecords.js";
export type { FeedbackApi } from "../memFeedback/feedbackApi.js";
export type { ApplyOptions, FeedbackRequest } from "../memFeedback/feedbackOps.js";
export type { FeedbackChange, FeedbackPlanView, FeedbackStatus } from "../memFeedback/feedbackEvents.js";
export type { FeedbackAction, FeedbackStep } from "../memFeedback/feedbackPlan.js";
export type { PreferencesApi } from "../preferences/preferencesApi.js";
export type { ProfileEntry, UserProfile } from "../preferences/userProfile.js";
