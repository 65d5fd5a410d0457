import { validate, compileErrors } from "@readme/openapi-parser";
import { z } from "zod";
import { beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "@/server/auth/api-keys";
import { matchRestRoute } from "@/server/http/rest-router";
import { objectSchemaOf } from "@/server/http/openapi-document";
import { restRoutes } from "@/server/http/rest-routes";
import { createTeamWithMembers } from "../support/fixtures";
import { useApiServer } from "../support/api-server";

/**
 * The OpenAPI document at /api/v1/openapi.json: served to anyone, cacheable, valid OpenAPI 3.1
 * by a maintained validator, and complete — every row of the route table (rest-routes.ts) is in
 * it with its parameters, body, answers and errors, so a route added to the table without what
 * the document needs fails here, whoever added it.
 */
const api = useApiServer();

interface Operation {
  operationId: string;
  summary: string;
  security?: unknown[];
  parameters?: Array<{ in: string; name: string; required?: boolean }>;
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { $ref?: string; content?: Record<string, unknown>; headers?: Record<string, unknown> }>;
}
type Document = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, unknown>; responses: Record<string, { content: Record<string, { schema: unknown }> }> };
  security: unknown[];
};

let document: Document;
let response: Response;

beforeAll(async () => {
  response = await fetch(`${api.baseURL}/api/v1/openapi.json`);
  document = (await response.json()) as Document;
});

const openApiPath = (path: string) => path.replace(/:(\w+)/g, "{$1}");
const operationOf = (route: (typeof restRoutes)[number]) => document.paths[openApiPath(route.path)]?.[route.method.toLowerCase()];

describe("GET /api/v1/openapi.json", () => {
  it("is served without credentials, as JSON a cache may keep", () => {
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(response.headers.get("cache-control")).toMatch(/public/);
    expect(document.openapi).toBe("3.1.0");
  });

  it("passes a maintained OpenAPI validator (@readme/openapi-parser)", async () => {
    // The validator dereferences in place: give it a copy.
    const result = await validate(structuredClone(document) as never);
    expect(result.valid ? "valid" : compileErrors(result)).toBe("valid");
    expect(result.specification).toBe("OpenAPI");
  });

  it("names both ways to authenticate, and public routes need neither", () => {
    expect(document.components.securitySchemes).toMatchObject({
      apiKey: { type: "http", scheme: "bearer" },
      session: { type: "apiKey", in: "cookie" },
    });
    expect(document.security).toEqual([{ apiKey: [] }, { session: [] }]);
    for (const route of restRoutes.filter((candidate) => candidate.permission === "public")) {
      expect(operationOf(route)?.security, route.path).toEqual([]);
    }
  });

  it("documents the one error shape, { error: { code, message, field? } }", () => {
    const schema = document.components.responses.Error400!.content["application/json"]!.schema as { $ref: string };
    expect(schema.$ref).toBe("#/components/schemas/Error");
  });
});

describe("every route in the table is in the document", () => {
  it("has no route that takes a JSON body without a schema for it", () => {
    const undocumented = restRoutes.filter((route) => (route.body || route.upload) && !route.input).map((route) => route.path);
    expect(undocumented).toEqual([]);
  });

  it("has no query or form schema that is not an object (its fields could not be listed as parameters)", () => {
    const unlisted = restRoutes
      .filter((route) => (route.query && !objectSchemaOf(route.query)) || (route.upload?.fields && !objectSchemaOf(route.upload.fields)))
      .map((route) => `${route.method} ${route.path}`);
    expect(unlisted).toEqual([]);
  });

  it("lists each route once, under its method and path, with an operation id of its own", () => {
    const missing = restRoutes.filter((route) => !operationOf(route)).map((route) => `${route.method} ${route.path}`);
    expect(missing).toEqual([]);
    const ids = restRoutes.map((route) => operationOf(route)!.operationId);
    expect(new Set(ids).size).toBe(restRoutes.length);
    const documented = Object.values(document.paths).flatMap((item) => Object.keys(item));
    expect(documented).toHaveLength(restRoutes.length);
  });

  for (const route of restRoutes) {
    it(`${route.method} ${route.path}`, () => {
      const operation = operationOf(route)!;
      expect(operation.summary).toBe(route.summary);
      const parameters = operation.parameters ?? [];

      // Path parameters, each required.
      const pathNames = [...route.path.matchAll(/:(\w+)/g)].map((match) => match[1]);
      expect(parameters.filter((parameter) => parameter.in === "path").map((parameter) => [parameter.name, parameter.required])).toEqual(
        pathNames.map((name) => [name, true]),
      );
      // Query parameters: the keys of the schema the route reads its query with.
      const queryNames = Object.keys(objectSchemaOf(route.query)?.shape ?? {});
      expect(parameters.filter((parameter) => parameter.in === "query").map((parameter) => parameter.name)).toEqual(queryNames);

      // The body: JSON for JSON routes, a multipart form (with the file) and JSON for uploads, none otherwise.
      const content = operation.requestBody?.content;
      if (route.upload) {
        expect(Object.keys(content ?? {}).sort()).toEqual(["application/json", "multipart/form-data"]);
        expect(content!["multipart/form-data"]!.schema).toMatchObject({ properties: { file: { format: "binary" } }, required: ["file"] });
      } else if (route.body) {
        expect(Object.keys(content ?? {})).toEqual(["application/json"]);
      } else {
        expect(content).toBeUndefined();
      }

      // The success answer: an event stream, or JSON (its schema when the route names one).
      const status = String(route.successStatus ?? 200);
      const success = operation.responses[status]!;
      expect(success, `documented ${status}`).toBeDefined();
      if (route.eventStream) expect(Object.keys(success.content!)).toContain("text/event-stream");
      else expect(Object.keys(success.content!)).toEqual(["application/json"]);
      if (route.output) expect(success.content!["application/json"]).toMatchObject({ schema: { $ref: expect.any(String) } });

      // Errors: every answer refers to the shared error responses.
      const errors = Object.entries(operation.responses).filter(([code]) => code !== status);
      for (const [code, answer] of errors) expect(answer.$ref).toBe(`#/components/responses/Error${code}`);
      const codes = errors.map(([code]) => code);
      expect(codes).toContain("400");
      if (route.permission !== "public") {
        expect(codes).toEqual(expect.arrayContaining(["401", "403", "404"]));
        if (route.rateLimit) {
          expect(codes).toContain("429");
          expect(Object.keys(success.headers ?? {})).toEqual(["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"]);
        }
      }
      if (route.body || route.upload) expect(codes).toContain("413");
    });
  }
});

describe("the documented answers are what the routes answer", () => {
  /** The requests to make, in order (what one creates, a later one reads, edits and deletes). */
  const requests: Array<{ method: string; path: (made: Record<string, string>) => string; body?: unknown; keep?: string }> = [
    { method: "GET", path: () => "/api/v1/settings/budget" },
    { method: "PUT", path: () => "/api/v1/settings/budget", body: { monthlyBudgetUsd: 25 } },
    { method: "GET", path: () => "/api/v1/settings/model-cache" },
    { method: "PUT", path: () => "/api/v1/settings/model-cache", body: { enabled: false } },
    { method: "GET", path: () => "/api/v1/settings/tool-approvals" },
    { method: "PUT", path: () => "/api/v1/settings/tool-approvals", body: { tools: ["web_search"] } },
    { method: "GET", path: () => "/api/v1/settings/fetch-policy" },
    { method: "PUT", path: () => "/api/v1/settings/fetch-policy", body: { allow: ["wiki.internal.example"], deny: [] } },
    {
      method: "POST",
      path: () => "/api/v1/knowledge",
      body: { title: "Lighthouses", text: "Lighthouse keepers tended the lamps through the night." },
      keep: "knowledgeId",
    },
    { method: "GET", path: () => "/api/v1/knowledge" },
    { method: "GET", path: (made) => `/api/v1/knowledge/${made.knowledgeId}?chunks=true` },
    { method: "PUT", path: (made) => `/api/v1/knowledge/${made.knowledgeId}`, body: { title: "Lighthouses", text: "Keepers and lamps." } },
    { method: "GET", path: () => "/api/v1/knowledge/search?q=keepers" },
    { method: "DELETE", path: (made) => `/api/v1/knowledge/${made.knowledgeId}` },
    {
      method: "POST",
      path: () => "/api/v1/agents",
      body: {
        kind: "openapi-probe",
        name: "Probe",
        description: "Checks shapes.",
        instructions: "Answer briefly.",
        capabilities: ["probe"],
      },
    },
    { method: "GET", path: () => "/api/v1/agents" },
    { method: "GET", path: () => "/api/v1/agents/openapi-probe" },
    { method: "GET", path: () => "/api/v1/agents/research" },
    {
      method: "PUT",
      path: () => "/api/v1/agents/openapi-probe",
      body: { name: "Probe", description: "Checks shapes again.", instructions: "Answer briefly.", capabilities: ["probe"] },
    },
    { method: "GET", path: () => "/api/v1/agents/openapi-probe/versions" },
    { method: "DELETE", path: () => "/api/v1/agents/openapi-probe" },
    { method: "GET", path: () => "/api/v1/tasks" },
    { method: "GET", path: () => "/api/v1/usage?groupBy=model" },
  ];

  it("for knowledge, agents, settings, usage and lists: each answer parses with its route's output schema, with no field left out of it", async () => {
    const { team } = await createTeamWithMembers();
    const key = (await createApiKey({ teamId: team.id, role: "admin", name: "openapi shapes" })).key;
    const made: Record<string, string> = {};
    for (const request of requests) {
      const path = request.path(made);
      const match = matchRestRoute(request.method, new URL(path, api.baseURL).pathname);
      const route = match && "route" in match ? match.route : undefined;
      expect(route?.output, `${request.method} ${path} has an output schema`).toBeDefined();
      const answer = await fetch(`${api.baseURL}${path}`, {
        method: request.method,
        headers: { authorization: `Bearer ${key}`, ...(request.body ? { "content-type": "application/json" } : {}) },
        body: request.body ? JSON.stringify(request.body) : undefined,
      });
      const body = (await answer.json()) as Record<string, unknown>;
      expect(answer.status, `${request.method} ${path}: ${JSON.stringify(body)}`).toBe(route!.successStatus ?? 200);
      const parsed = route!.output!.safeParse(body);
      expect(parsed.error?.issues, `${request.method} ${path}`).toBeUndefined();
      const schema = route!.output!;
      if (schema instanceof z.ZodObject && schema.def.catchall === undefined) {
        expect(Object.keys(body).sort(), `${request.method} ${path} has no undocumented field`).toEqual(
          Object.keys(schema.shape)
            .filter((name) => name in body || !schema.shape[name]!.safeParse(undefined).success)
            .sort(),
        );
      }
      if (request.keep) made[request.keep] = String(body.id);
    }
  });
});
