import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "@/server/auth/api-keys";
import { taskPageView, taskView } from "@/server/tasks/task-view-schemas";
import { createTeamWithMembers, THREE_AGENT_PROMPT, useEmbeddedExecutor } from "../support/fixtures";
import { useApiServer } from "../support/api-server";

/**
 * A client generated from the served OpenAPI document by tools that are not ours —
 * openapi-typescript for the types, openapi-fetch for the calls — drives a task's life through
 * the real API: the program below must typecheck against the generated types (and a wrong body
 * must not), then it runs against a live server with an API key. What it gets back must be what
 * the document's schemas say.
 */
useEmbeddedExecutor();
const api = useApiServer();

/** The program an integrator would write, typed only by the generated `paths`. */
const CLIENT_PROGRAM = `
import createClient from "openapi-fetch";
import type { paths } from "./chorus-api";

const FINISHED = ["completed", "failed", "cancelled", "budget_exceeded"];

export async function driveTaskLifecycle(baseUrl: string, apiKey: string, prompt: string) {
  const chorus = createClient<paths>({ baseUrl, headers: { Authorization: \`Bearer \${apiKey}\` } });

  const created = await chorus.POST("/api/v1/tasks", { body: { prompt } });
  if (!created.data) throw new Error(\`create failed: \${JSON.stringify(created.error)}\`);
  const id: string = created.data.id;

  let task = created.data;
  while (!FINISHED.includes(task.status)) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const read = await chorus.GET("/api/v1/tasks/{id}", { params: { path: { id } } });
    if (!read.data) throw new Error(\`read failed: \${JSON.stringify(read.error)}\`);
    task = read.data;
  }

  const list = await chorus.GET("/api/v1/tasks", { params: { query: { limit: 10 } } });
  const lastStep: string = task.executions[task.executions.length - 1]!.stepId;
  const rerun = await chorus.POST("/api/v1/tasks/{id}/rerun", { params: { path: { id } }, body: { fromStep: lastStep } });

  const waiting = await chorus.POST("/api/v1/tasks", { body: { prompt, requireApproval: true } });
  if (!waiting.data) throw new Error("second create failed");
  const cancelled = await chorus.POST("/api/v1/tasks/{id}/cancel", { params: { path: { id: waiting.data.id } } });

  // @ts-expect-error the generated types know prompt is a string
  const invalid = await chorus.POST("/api/v1/tasks", { body: { prompt: 42 } });
  const missing = await chorus.GET("/api/v1/tasks/{id}", { params: { path: { id: "no-such-task" } } });

  return {
    created: { status: created.response.status, location: created.response.headers.get("location"), body: created.data },
    finished: task,
    list: list.data,
    rateLimitRemaining: list.response.headers.get("ratelimit-remaining"),
    rerun: { status: rerun.response.status, body: rerun.data },
    cancelled: cancelled.data,
    invalid: { status: invalid.response.status, error: invalid.error },
    missing: { status: missing.response.status, error: missing.error },
  };
}
`;

/** Inside node_modules, so both the compiler and Node resolve openapi-fetch from the project. */
const workRoot = path.resolve("node_modules/.cache/chorus-openapi-client");
let directory = "";
let apiKey = "";
let generatedTypes = "";

beforeAll(async () => {
  const { team } = await createTeamWithMembers();
  apiKey = (await createApiKey({ teamId: team.id, role: "user", name: "generated client" })).key;
  await mkdir(workRoot, { recursive: true });
  directory = await mkdtemp(path.join(workRoot, "run-"));
  // The generator reads the document as any integrator would: from the running server.
  const served = await fetch(`${api.baseURL}/api/v1/openapi.json`).then((response) => response.json());
  generatedTypes = astToString(await openapiTS(served));
  await writeFile(path.join(directory, "chorus-api.ts"), generatedTypes);
});

afterAll(async () => {
  if (directory) await rm(directory, { recursive: true, force: true });
});

function typecheck(files: string[]): string[] {
  const program = ts.createProgram(files, {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
    types: [],
  });
  return ts
    .getPreEmitDiagnostics(program)
    .map((diagnostic) => `${diagnostic.file?.fileName ?? ""}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n")}`);
}

describe("a client generated from /api/v1/openapi.json", () => {
  it("compiles, and drives a task from creation to completion, rerun and cancel", async () => {
    expect(generatedTypes).toContain('"/api/v1/tasks/{id}/rerun"');
    const programFile = path.join(directory, "client.ts");
    await writeFile(programFile, CLIENT_PROGRAM);

    // The program typechecks against the generated types — including the @ts-expect-error on a
    // wrong body, which is itself an error if the types were too loose to catch it.
    expect(typecheck([programFile])).toEqual([]);

    // …and runs: compiled as it is, against the live server.
    const compiled = ts.transpileModule(CLIENT_PROGRAM, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    const moduleFile = path.join(directory, "client.mjs");
    await writeFile(moduleFile, compiled);
    type Lifecycle = (baseUrl: string, key: string, prompt: string) => Promise<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const { driveTaskLifecycle } = (await import(/* @vite-ignore */ pathToFileURL(moduleFile).href)) as { driveTaskLifecycle: Lifecycle };
    const run = await driveTaskLifecycle(api.baseURL, apiKey, THREE_AGENT_PROMPT);

    expect(run.created.status).toBe(201);
    expect(run.created.location).toBe(`/api/v1/tasks/${run.created.body.id}`);
    expect(run.finished.status).toBe("completed");
    expect(run.finished.executions.map((execution: { agent: string }) => execution.agent)).toEqual(["research", "analysis", "synthesis"]);
    expect(run.list.tasks.map((task: { id: string }) => task.id)).toContain(run.created.body.id);
    expect(Number(run.rateLimitRemaining)).toBeGreaterThan(0);
    expect(run.rerun.status).toBe(201);
    expect(run.rerun.body.parentTaskId).toBe(run.created.body.id);
    expect(run.cancelled.status).toBe("cancelled");
    expect(run.invalid).toEqual({ status: 400, error: { error: expect.objectContaining({ code: "bad_request", field: "prompt" }) } });
    expect(run.missing.status).toBe(404);
    expect(run.missing.error.error.code).toBe("not_found");

    // What came back is what the document says, field for field.
    for (const task of [run.created.body, run.finished, run.rerun.body, run.cancelled]) {
      expect(Object.keys(task).sort()).toEqual(Object.keys(taskView.shape).sort());
      taskView.parse(task);
    }
    taskPageView.parse(run.list);
  });

  it("does not compile a program that calls a route the API does not have", async () => {
    const programFile = path.join(directory, "wrong.ts");
    await writeFile(
      programFile,
      `import createClient from "openapi-fetch";
import type { paths } from "./chorus-api";
const chorus = createClient<paths>({ baseUrl: "http://localhost" });
export const call = chorus.POST("/api/v1/tasks/{id}/explode", { params: { path: { id: "x" } } });
`,
    );
    expect(typecheck([programFile]).join("\n")).toMatch(/explode/);
  });
});
