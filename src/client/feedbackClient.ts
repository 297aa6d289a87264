import type { RequestOptions } from "../app/ledgerApi.js";
import type { JobRecord } from "../jobs/jobBusPort.js";
import type { FeedbackApi } from "../memFeedback/feedbackApi.js";
import type { FeedbackPlanView } from "../memFeedback/feedbackEvents.js";
import type { PreferencesApi } from "../preferences/preferencesApi.js";
import type { UserProfile } from "../preferences/userProfile.js";

type Call = <T>(request: { readonly method: "GET" | "POST" | "PUT" | "DELETE"; readonly path: string; readonly body?: unknown; readonly ctx?: RequestOptions }) => Promise<T>;

const plan = (planId: string, tail = "") => `/feedback/${encodeURIComponent(planId)}${tail}`;
const user = (cubeId: string, userId: string, tail: string) => `/cubes/${encodeURIComponent(cubeId)}/users/${encodeURIComponent(userId)}/${tail}`;

/** `feedback` over REST. */
export function remoteFeedback(call: Call): FeedbackApi<RequestOptions> {
  return {
    correct: (cubeId, request, ctx) => call<FeedbackPlanView>({ method: "POST", path: `/cubes/${encodeURIComponent(cubeId)}/feedback`, body: request, ...(ctx ? { ctx } : {}) }),
    get: (planId) => call<FeedbackPlanView>({ method: "GET", path: plan(planId) }),
    apply: (planId, options, ctx) => call<FeedbackPlanView>({ method: "POST", path: plan(planId, "/apply"), body: { ...(options?.confirmErase !== undefined ? { confirmErase: options.confirmErase } : {}) }, ...(ctx ? { ctx } : {}) }),
    undo: (planId, ctx) => call<FeedbackPlanView>({ method: "POST", path: plan(planId, "/undo"), body: {}, ...(ctx ? { ctx } : {}) }),
  };
}

/** `preferences` over REST. */
export function remotePreferences(call: Call): PreferencesApi<RequestOptions> {
  return {
    infer: (cubeId, userId, ctx) => call<JobRecord>({ method: "POST", path: user(cubeId, userId, "preferences/infer"), body: {}, ...(ctx ? { ctx } : {}) }),
    profile: (cubeId, userId) => call<UserProfile>({ method: "GET", path: user(cubeId, userId, "profile") }),
  };
}
