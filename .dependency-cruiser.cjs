/**
 * Chorus's module boundaries, checked by `npm run depcruise` and by
 * tests/unit/dependency-rules.test.ts (so `npx vitest run` fails on a violation).
 *
 * Dependencies point one way: routes → API/HTTP → services → orchestration → agents → model →
 * platform (events, auth) → data; everything may use the foundation (config, logger, domain
 * vocabulary). `layers` below is that order, top first. A unit may import only units in the
 * layers below its own: never a layer above, never another unit of its own layer. With every
 * unit placed, no two units can import each other, directly or round a cycle.
 *
 * A unit is a folder, except that each file directly in server/ and inngest/ is a unit of its
 * own (server/env.ts is as much a module as server/db/: the entry point server/main.ts sits
 * beside the configuration every module reads). dependency-cruiser's own folder-scoped cycle
 * check is not used: it also counts parent folders as nodes, so `server` ↔ `inngest` (the
 * runtime starts the executor with the functions; the functions call orchestration) shows as a
 * cycle though no unit imports another back.
 *
 * The named rules after the layers say the same things for the boundaries that matter most,
 * with messages that say why.
 */

/** A folder (every file under it) or a single file, as a path regex. */
const unit = (name) => (name.endsWith(".ts") || name.endsWith(".tsx") ? `^${name.replace(/\./g, "\\.")}$` : `^${name}/`);

const layers = [
  ["app"], // routes only
  ["components"], // UI (client and server components)
  ["server/main.ts", "server/cli"], // process entry points
  ["server/runtime"], // process wiring: the database, the executor, the auth secret, the API's front door
  ["server/api"], // tRPC: context, procedures, routers, and its Node handler
  ["server/http"], // REST: the route table and router, and the HTTP mechanics tRPC shares (body caps, same-origin, JSON answers)
  // Other protocols' front doors onto tasks: OpenAI's Chat Completions, Chorus as an MCP server.
  ["server/openai-compat", "server/chorus-mcp"],
  ["inngest/functions"], // the durable functions: they drive orchestration, and evals' experiments
  ["server/evals"], // evals (docs/evals.md): datasets, scorers, experiments — they start tasks and read usage
  ["server/tasks", "server/teams"], // services
  ["server/webhooks"], // signed webhooks: endpoints, the outbox relay and one delivery attempt (the durable function is in inngest/functions)
  ["server/orchestration"],
  ["server/agents"],
  // What agents' tools reach, each a module of its own: the team knowledge base, the web (guarded fetch, search), MCP servers.
  ["server/knowledge", "server/web", "server/mcp"],
  ["server/llm"], // the model layer
  ["server/rate-limit"], // request limits per caller and tier (used by the API layers; uses auth's Caller, db)
  ["inngest/client.ts"], // the Inngest client: events, and durable state encrypted under keys from server/secrets
  ["server/events", "server/auth", "server/secrets"], // platform: run-event log, callers, the event bus, secrets encrypted at rest
  // Keeping the database: backup and restore of the embedded cluster, retention (pruning old rows).
  ["server/backup", "server/retention"],
  ["server/audit"], // the audit log's recorder: low enough that auth and every service can record what they did
  ["server/validation.ts"], // parseInput: zod → AppError naming the field
  ["server/errors.ts"], // AppError (maps an unavailable database to 503)
  ["server/db"], // data access
  // Foundation: imported by anything, importing nothing above.
  ["server/observability", "server/env.ts", "server/process-wide.ts", "inngest/events.ts", "inngest/executor"],
  // Below all: vocabulary and pure text handling that import nothing of Chorus's (env.ts reads the rate-limit rules' format).
  ["server/domain", "server/text"],
];

const layered = layers.flat().map(unit);

const layerRules = layers
  .flatMap((layer, index) =>
    layer.map((name) => {
      const above = layers.slice(0, index).flat();
      const peers = layer.filter((other) => other !== name);
      const below = layers.slice(index + 1).flat();
      return {
        name: `layer:${name}`,
        severity: "error",
        comment: `${name} may import only what is below it: ${below.join(", ") || "nothing of Chorus"}`,
        from: { path: unit(name) },
        to: { path: [...above, ...peers].map(unit) },
      };
    }),
  )
  .filter((rule) => rule.to.path.length > 0);

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "No module imports itself back through others: a cycle means two modules are really one, or one is in the wrong place.",
      from: {},
      to: { circular: true },
    },
    {
      name: "resolvable",
      severity: "error",
      comment: "Every import resolves (also a guard for this check: were the `@/` alias not resolved, the rules would see nothing).",
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: "unlayered",
      severity: "error",
      comment:
        "Every module of app, components, server and inngest belongs to a unit in `layers` (.dependency-cruiser.cjs): place a new folder or top-level file there.",
      from: { path: "^(app|components|server|inngest)/", pathNot: layered },
      to: {},
    },
    {
      name: "executor-stands-alone",
      severity: "error",
      comment:
        "inngest/executor imports only itself, the Inngest SDK, pg and Node built-ins; what it needs from the app is handed in (see its README).",
      from: { path: "^inngest/executor/" },
      to: { pathNot: ["^inngest/executor/", "^node_modules/(inngest|pg|@types/pg)/"], dependencyTypesNot: ["core"] },
    },
    {
      name: "model-knows-no-agents",
      severity: "error",
      comment: "server/llm is the model layer: it knows models and prompts, never agents, orchestration, tasks or the API.",
      from: { path: "^server/llm/" },
      to: { path: "^server/(agents|orchestration|tasks|teams|api|http)/" },
    },
    {
      name: "data-layer-knows-no-services",
      severity: "error",
      comment:
        "server/db is the bottom of the stack: it may use configuration, the logger and the metrics (what it writes is what is counted), the domain's vocabulary (a run event's type), nothing that uses it.",
      from: { path: "^server/db/" },
      to: {
        path: "^(server|inngest|app|components)/",
        pathNot: [
          "^server/db/",
          "^server/env\\.ts$",
          "^server/observability/logger\\.ts$",
          "^server/observability/metrics\\.ts$",
          // The span of a task that just finished, written by the statement that finishes it.
          "^server/observability/tracing\\.ts$",
          "^server/domain/",
        ],
      },
    },
    {
      name: "data-access-in-server-db",
      severity: "error",
      comment:
        "SQL and Prisma calls live in server/db (a query module per aggregate in server/db/queries, typed once): only server/db uses the pg driver, Prisma, the pool and client (server/db/client.ts) or the generated client; types come from server/db/types.ts.",
      from: {
        pathNot: [
          "^server/db/",
          // Process lifecycle, not queries: hands the pool to the executor, says whether to announce run events, closes the pool on drain.
          "^server/main\\.ts$",
          // Closes the pool after a command.
          "^server/cli/main\\.ts$",
          // `chorus eval run` in local mode: hands the pool to the executor, says whether to announce run events, closes it.
          "^server/cli/local-chorus\\.ts$",
          // Starts the executor on the pool it is handed (pg's Pool type).
          "^server/runtime/executor\\.ts$",
          // A package of its own with its own SQL store (executor-stands-alone).
          "^inngest/executor/",
        ],
      },
      to: {
        path: ["^node_modules/(pg|@types/pg|@prisma/[^/]+|@auth/prisma-adapter)/", "^server/db/client\\.ts$", "^server/db/generated/"],
      },
    },
    {
      name: "domain-imports-nothing",
      severity: "error",
      comment: "server/domain is vocabulary the browser shares: plain data, no imports.",
      from: { path: "^server/domain/" },
      to: { pathNot: "^server/domain/" },
    },
    {
      name: "components-not-routes",
      severity: "error",
      comment: "Components are used by routes (app/), never the other way round.",
      from: { path: "^components/" },
      to: { path: "^app/" },
    },
    {
      name: "server-not-ui",
      severity: "error",
      comment: "Nothing in server/ or inngest/ imports routes (app/) or components.",
      from: { path: "^(server|inngest)/" },
      to: { path: "^(app|components)/" },
    },
    ...layerRules,
  ],
  options: {
    tsConfig: { fileName: "tsconfig.json" }, // resolves the `@/` alias
    tsPreCompilationDeps: true, // type-only imports count: they are dependencies between modules too
    // The generated Prisma client is not cruised (it is Prisma's code, not ours), but imports of it
    // are still seen, so data-access-in-server-db can keep it behind server/db.
    doNotFollow: { path: ["^node_modules/", "^server/db/generated/"] },
    exclude: { path: ["^\\.next/"] },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".tsx", ".mjs", ".js", ".d.ts"],
    },
  },
};
