import { z } from "zod";
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject, type ZodOpenApiResponsesObject } from "zod-openapi";

/**
 * The OpenAPI 3.1 document of the REST API, built from the route table (rest-routes.ts) and the
 * zod schemas its rows name — the ones the services validate with — so the document cannot drift
 * from what the server does, and a route is documented by being listed. What no row says is the
 * same for every route and is written once here: the error shape, the rate-limit headers, the
 * auth schemes. The routes come in as an argument (this module cannot import the table that
 * serves it without a cycle).
 */

/** What the document needs of a route: RestRoute (rest-routes.ts) has all of it. */
export interface DocumentedRoute {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  permission: string;
  rateLimit?: string;
  body?: true;
  upload?: { fields?: z.ZodType };
  input?: z.ZodType;
  query?: z.ZodType;
  output?: z.ZodType;
  successStatus?: 201;
  eventStream?: true;
  /** Kept for existing clients at an older path: documented as deprecated, with an operation id of its own. */
  deprecated?: true;
  summary: string;
}

const errorBody = z
  .object({
    error: z.object({
      code: z.enum([
        "bad_request",
        "unauthorized",
        "forbidden",
        "not_found",
        "method_not_allowed",
        "conflict",
        "payload_too_large",
        "unsupported_media_type",
        "rate_limited",
        "unavailable",
        "internal",
      ]),
      message: z.string().meta({ description: "For a person: what went wrong and how to fix it" }),
      field: z.string().optional().meta({ description: "The input at fault: a body field's path, a query parameter, `path`, `headers`…" }),
      issues: z
        .array(z.object({ field: z.string(), message: z.string() }))
        .optional()
        .meta({ description: "Every invalid field, on a 400 from validation" }),
    }),
  })
  .meta({ id: "Error", description: "Every error the REST API answers, whatever its status" });

/** What a DELETE answers: the id (or kind) of what it removed. */
export const deletedView = z.object({ deleted: z.string().meta({ description: "The id of what was deleted" }) }).meta({ id: "Deleted" });

/** A JSON object whose fields this document does not list (yet): the route's summary says what it holds. */
const undocumentedObject = z.record(z.string(), z.unknown()).meta({ id: "UndocumentedObject" });

const ERROR_STATUSES = {
  400: "The input is invalid: `field` names it (a body field, a query or path parameter)",
  401: "No valid credentials: a missing, unknown, expired or revoked API key, or no session",
  403: "The caller's role does not allow this, or a signed-in browser's write came from another site",
  404: "No such thing in the caller's team",
  409: "The thing is not in a state that allows this: the message says which state it is in",
  413: "The body is larger than the route accepts",
  415: "The body's content type is not one the route reads",
  429: "The caller's rate limit for this tier is used up: retry after `Retry-After` seconds; nothing was done",
  503: "The database is unavailable for a moment: retry",
} as const;

type ErrorStatus = keyof typeof ERROR_STATUSES;

const RATE_LIMIT_HEADERS = {
  "RateLimit-Limit": { description: "Requests allowed in the tier's window", schema: { type: "integer" } },
  "RateLimit-Remaining": { description: "Requests left in the current window", schema: { type: "integer" } },
  "RateLimit-Reset": { description: "Seconds until the window has room again", schema: { type: "integer" } },
} as const;

const rateLimitHeaderRefs = Object.fromEntries(
  Object.keys(RATE_LIMIT_HEADERS).map((name) => [name, { $ref: `#/components/headers/${name}` }]),
);

function errorStatusesOf(route: DocumentedRoute): ErrorStatus[] {
  const authenticated = route.permission !== "public";
  const changes = route.method !== "GET";
  const statuses: ErrorStatus[] = [400];
  if (authenticated) statuses.push(401, 403, 404);
  if (authenticated && changes) statuses.push(409);
  if (route.body || route.upload) statuses.push(413);
  if (route.upload) statuses.push(415);
  if (authenticated && route.rateLimit) statuses.push(429);
  statuses.push(503);
  return statuses;
}

/** `/api/v1/tasks/:id` → `/api/v1/tasks/{id}`, and the parameter names. */
function openApiPath(path: string): { path: string; params: string[] } {
  const params: string[] = [];
  return { path: path.replace(/:(\w+)/g, (_, name: string) => (params.push(name), `{${name}}`)), params };
}

/** `POST /api/v1/tasks/:id/cancel` → `postTasksByIdCancel`: stable names for generated clients. */
function operationIdOf(route: DocumentedRoute): string {
  const words = route.path
    .replace(/^\/api\/(v1\/)?/, "")
    .split(/[/.-]/)
    .filter(Boolean)
    .map((segment) => (segment.startsWith(":") ? `by-${segment.slice(1)}` : segment))
    .flatMap((segment) => segment.split("-"));
  return [
    route.method.toLowerCase(),
    ...words.map((word) => word[0]!.toUpperCase() + word.slice(1)),
    route.deprecated ? "Deprecated" : "",
  ].join("");
}

/** The first segment after the API's prefix (`tasks`, `agents`, `settings`…), to group the reference. */
function tagOf(route: DocumentedRoute): string {
  return route.path
    .replace(/^\/api\/(v1\/)?/, "")
    .split("/")[0]!
    .replace(/\.json$/, "");
}

function successOf(route: DocumentedRoute): ZodOpenApiResponsesObject {
  const status = route.successStatus ?? 200;
  const content: Record<string, { schema: z.ZodType | { type: "string" } }> = {};
  if (route.eventStream) content["text/event-stream"] = { schema: { type: "string" } };
  if (route.output || !route.eventStream) content["application/json"] = { schema: route.output ?? undocumentedObject };
  return {
    [status]: {
      description: route.eventStream
        ? "Server-Sent Events: `id` is the event's sequence number, `event` its type, `data` its JSON payload"
        : "Success",
      content,
      ...(route.rateLimit && route.permission !== "public" ? { headers: rateLimitHeaderRefs } : {}),
    },
  };
}

/** The object a query or form schema reads (through a transform, its input side); undefined when it is no object. */
export function objectSchemaOf(schema: z.ZodType | undefined): z.ZodObject | undefined {
  if (schema instanceof z.ZodObject) return schema;
  if (schema instanceof z.ZodPipe) return objectSchemaOf(schema.in as z.ZodType);
  return undefined;
}

function accessOf(route: DocumentedRoute): string {
  const tier = route.rateLimit ? `; counts against the \`${route.rateLimit}\` rate-limit tier` : "";
  return `Needs a role that grants \`${route.permission}\`${tier}.`;
}

function operationOf(route: DocumentedRoute, params: string[]): ZodOpenApiOperationObject {
  const responses: ZodOpenApiResponsesObject = successOf(route);
  for (const status of errorStatusesOf(route)) responses[`${status}`] = { $ref: `#/components/responses/Error${status}` };
  const requestParams: ZodOpenApiOperationObject["requestParams"] = {};
  if (params.length > 0) requestParams.path = z.object(Object.fromEntries(params.map((name) => [name, z.string()])));
  const query = objectSchemaOf(route.query);
  if (query) requestParams.query = query;
  const operation: ZodOpenApiOperationObject = {
    operationId: operationIdOf(route),
    summary: route.summary,
    ...(route.deprecated ? { deprecated: true } : {}),
    tags: [tagOf(route)],
    requestParams,
    responses,
    ...(route.permission === "public" ? { security: [] } : { description: accessOf(route) }),
  };
  if (route.upload) {
    const fields = objectSchemaOf(route.upload.fields) ?? z.object({});
    operation.requestBody = {
      required: true,
      content: {
        "multipart/form-data": { schema: fields.extend({ file: z.string().meta({ format: "binary", description: "The file" }) }) },
        ...(route.input ? { "application/json": { schema: route.input } } : {}),
      },
    };
  } else if (route.body && route.input) {
    operation.requestBody = { required: true, content: { "application/json": { schema: route.input } } };
  }
  return operation;
}

export function buildOpenApiDocument(routes: readonly DocumentedRoute[], info: { version: string }) {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of routes) {
    const { path, params } = openApiPath(route.path);
    const item = (paths[path] ??= {});
    item[route.method.toLowerCase() as "get" | "post" | "put" | "patch" | "delete"] = operationOf(route, params);
  }
  return createDocument(
    {
      openapi: "3.1.0",
      info: {
        title: "Chorus REST API",
        version: info.version,
        description:
          "Submit tasks to a team's agents, follow them and read their results; manage the team's agents, knowledge and settings. " +
          "Authenticate with an API key (`Authorization: Bearer chorus_…`, created by an admin) or, from the dashboard, its session cookie. " +
          "Errors are always `{ error: { code, message, field? } }`.",
      },
      servers: [{ url: "/", description: "This Chorus" }],
      security: [{ apiKey: [] }, { session: [] }],
      paths,
      components: {
        securitySchemes: {
          apiKey: {
            type: "http",
            scheme: "bearer",
            description: "An API key of the team (`chorus_…`); its role decides what it may do",
          },
          session: {
            type: "apiKey",
            in: "cookie",
            name: "authjs.session-token",
            description:
              "A signed-in browser's session (`__Secure-authjs.session-token` over HTTPS). Writes must come from the same origin.",
          },
        },
        headers: {
          ...RATE_LIMIT_HEADERS,
          "Retry-After": { description: "Seconds to wait before retrying", schema: { type: "integer" } },
        },
        responses: Object.fromEntries(
          Object.entries(ERROR_STATUSES).map(([status, description]) => [
            `Error${status}`,
            {
              description,
              content: { "application/json": { schema: errorBody } },
              ...(status === "429"
                ? { headers: { ...rateLimitHeaderRefs, "Retry-After": { $ref: "#/components/headers/Retry-After" } } }
                : {}),
            },
          ]),
        ),
      },
    },
    { allowEmptySchema: { custom: true } },
  );
}
