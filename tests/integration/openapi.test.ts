import { validate, compileErrors } from "@readme/openapi-parser";
import { z } from "zod";
import { beforeAll, describe, expect, it } from "vitest";
import { restRoutes } from "@/server/http/rest-routes";
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
      const queryNames = route.query instanceof z.ZodObject ? Object.keys(route.query.shape) : [];
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
