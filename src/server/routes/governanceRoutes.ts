import type { FastifyInstance } from "fastify";
import type { Grantee } from "../../../domain/governance/governanceEvents.js";
import type { CubePermission, KeyScope, TenantRole } from "../../../domain/governance/permissions.js";
import type { NewPrincipalInput } from "../../app/ledgerApi.js";
import {
  asOfTimeQuery,
  createPrincipalBody,
  delegationBody,
  grantBody,
  grantListSchema,
  groupBody,
  issueKeyBody,
  issuedKeySchema,
  keyListSchema,
  keySchema,
  principalListSchema,
  principalSchema,
  roleBody,
} from "../governanceSchemas.js";
import { asOfFrom, requestOptions } from "../requestContext.js";
import { idParam } from "../schemas.js";

type PrincipalParams = { Params: { principalId: string } };
type AsOfQuery = { Querystring: { asOfTime?: string } };
const tags = ["governance"];
const principalParam = idParam("principalId");

/** Principals, roles, groups, API keys, cube grants and delegations (docs/governance.md). */
export function governanceRoutes(app: FastifyInstance): void {
  app.get("/me", { schema: { tags, summary: "The principal the credential belongs to", response: { 200: principalSchema } } }, async (request) => request.ledger.governance.whoAmI());

  app.get<AsOfQuery>("/principals", { schema: { tags, summary: "The tenant's principals, now or as of a time", querystring: asOfTimeQuery, response: { 200: principalListSchema } } }, async (request) => ({
    principals: await request.ledger.governance.principals(asOfFrom(request.query)),
  }));

  app.post<{ Body: NewPrincipalInput }>(
    "/principals",
    { schema: { tags, summary: "Create a principal (a user, an agent or an admin) with tenant roles", body: createPrincipalBody, response: { 201: principalSchema } } },
    async (request, reply) => reply.status(201).send(await request.ledger.governance.createPrincipal(request.body, requestOptions(request))),
  );

  app.get<PrincipalParams & AsOfQuery>(
    "/principals/:principalId",
    { schema: { tags, summary: "A principal, now or as of a time", params: principalParam, querystring: asOfTimeQuery, response: { 200: principalSchema } } },
    async (request) => request.ledger.governance.principal(request.params.principalId, asOfFrom(request.query)),
  );

  app.post<PrincipalParams & { Body: { role: TenantRole } }>(
    "/principals/:principalId/roles",
    { schema: { tags, summary: "Grant a tenant role", params: principalParam, body: roleBody, response: { 200: principalSchema } } },
    async (request) => request.ledger.governance.grantRole(request.params.principalId, request.body.role, requestOptions(request)),
  );
  app.delete<{ Params: { principalId: string; role: TenantRole } }>(
    "/principals/:principalId/roles/:role",
    { schema: { tags, summary: "Revoke a tenant role", params: { ...idParam("principalId"), required: ["principalId", "role"], properties: { ...principalParam.properties, role: roleBody.properties.role } }, response: { 200: principalSchema } } },
    async (request) => request.ledger.governance.revokeRole(request.params.principalId, request.params.role, requestOptions(request)),
  );

  app.post<PrincipalParams & { Body: { group: string } }>(
    "/principals/:principalId/groups",
    { schema: { tags, summary: "Add a principal to a group (cube grants may name groups)", params: principalParam, body: groupBody, response: { 200: principalSchema } } },
    async (request) => request.ledger.governance.joinGroup(request.params.principalId, request.body.group, requestOptions(request)),
  );
  app.delete<{ Params: { principalId: string; group: string } }>(
    "/principals/:principalId/groups/:group",
    { schema: { tags, summary: "Remove a principal from a group", params: { ...idParam("principalId"), required: ["principalId", "group"], properties: { ...principalParam.properties, group: groupBody.properties.group } }, response: { 200: principalSchema } } },
    async (request) => request.ledger.governance.leaveGroup(request.params.principalId, request.params.group, requestOptions(request)),
  );

  for (const action of ["disable", "enable"] as const) {
    app.post<PrincipalParams>(
      `/principals/:principalId/${action}`,
      { schema: { tags, summary: action === "disable" ? "Disable a principal: its keys stop working on the next request" : "Enable a disabled principal", params: principalParam, response: { 200: principalSchema } } },
      async (request) => request.ledger.governance[action](request.params.principalId, requestOptions(request)),
    );
  }

  app.post<PrincipalParams & { Body: { scopes: KeyScope[]; expiresAt?: string } }>(
    "/principals/:principalId/keys",
    { schema: { tags, summary: "Issue an API key; the answer holds the whole key once", params: principalParam, body: issueKeyBody, response: { 201: issuedKeySchema } } },
    async (request, reply) => reply.status(201).send(await request.ledger.governance.issueKey(request.params.principalId, request.body, requestOptions(request))),
  );
  app.get<{ Querystring: { principalId?: string } }>(
    "/keys",
    { schema: { tags, summary: "API keys (prefixes, scopes, expiry, revocation; never secrets)", querystring: { type: "object", additionalProperties: false, properties: { principalId: principalParam.properties.principalId } }, response: { 200: keyListSchema } } },
    async (request) => ({ keys: await request.ledger.governance.keys(request.query.principalId) }),
  );
  app.post<{ Params: { keyId: string } }>(
    "/keys/:keyId/revoke",
    { schema: { tags, summary: "Revoke an API key: refused from the next request on", params: idParam("keyId"), response: { 200: keySchema } } },
    async (request) => request.ledger.governance.revokeKey(request.params.keyId, requestOptions(request)),
  );

  app.get<{ Params: { cubeId: string } } & AsOfQuery>(
    "/cubes/:cubeId/grants",
    { schema: { tags, summary: "Who holds which permission on a cube, now or as of a time", params: idParam("cubeId"), querystring: asOfTimeQuery, response: { 200: grantListSchema } } },
    async (request) => ({ cubeId: request.params.cubeId, grants: await request.ledger.governance.cubeGrants(request.params.cubeId, asOfFrom(request.query)) }),
  );
  for (const action of ["grant", "revoke"] as const) {
    app.post<{ Params: { cubeId: string }; Body: { grantee: Grantee; permission: CubePermission } }>(
      action === "grant" ? "/cubes/:cubeId/grants" : "/cubes/:cubeId/grants/revoke",
      { schema: { tags, summary: action === "grant" ? "Grant read, write or admin on a cube to a principal or a group" : "Revoke a cube grant", params: idParam("cubeId"), body: grantBody, response: { 200: grantListSchema } } },
      async (request) => {
        const { cubeId } = request.params;
        const { grantee, permission } = request.body;
        const grants = action === "grant" ? await request.ledger.governance.grantCube(cubeId, grantee, permission, requestOptions(request)) : await request.ledger.governance.revokeCube(cubeId, grantee, permission, requestOptions(request));
        return { cubeId, grants };
      },
    );
  }

  app.post<PrincipalParams & { Body: { agentId: string } }>(
    "/principals/:principalId/delegations",
    { schema: { tags, summary: "Let an agent act for this user (it sends X-On-Behalf-Of); both are recorded", params: principalParam, body: delegationBody, response: { 204: { type: "null" } } } },
    async (request, reply) => {
      await request.ledger.governance.delegate(request.params.principalId, request.body.agentId, requestOptions(request));
      return reply.status(204).send();
    },
  );
  app.delete<{ Params: { principalId: string; agentId: string } }>(
    "/principals/:principalId/delegations/:agentId",
    { schema: { tags, summary: "Withdraw a delegation", params: { ...idParam("principalId"), required: ["principalId", "agentId"], properties: { ...principalParam.properties, agentId: principalParam.properties.principalId } }, response: { 204: { type: "null" } } } },
    async (request, reply) => {
      await request.ledger.governance.revokeDelegation(request.params.principalId, request.params.agentId, requestOptions(request));
      return reply.status(204).send();
    },
  );
}
