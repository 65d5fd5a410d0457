import { describe, expect, it } from "vitest";
import { createApiKey } from "@/server/auth/api-keys";
import type { Caller } from "@/server/auth/caller";
import { getDb } from "@/server/db/client";
import {
  addCase,
  addCaseFromTask,
  createDataset,
  deleteCase,
  deleteDataset,
  getDataset,
  importCases,
  listDatasets,
  listVersions,
  updateCase,
  updateDataset,
} from "@/server/evals/datasets";
import { datasetSummaryView, datasetVersionView, datasetView } from "@/server/evals/eval-schemas";
import { createTask } from "@/server/tasks/tasks";
import { createTeamWithMembers, useEmbeddedExecutor, waitForTaskStatus } from "../support/fixtures";
import { useApiServer } from "../support/api-server";

/**
 * Evals' datasets as a team builds them (docs/evals.md#datasets): every edit of the cases makes a
 * new immutable version (concurrent edits too, none lost), imports are all or nothing and name
 * the bad line, a finished task becomes a case with its result as the reference, names and keys
 * conflict by 409, and roles decide who reads, edits and deletes — over the services and REST.
 */
useEmbeddedExecutor();
const api = useApiServer();

const errorOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    return error as { code: string; field?: string; message: string };
  }
  throw new Error("expected the call to fail");
};

describe("versions", () => {
  it("writes a version per edit and never changes an old one", async () => {
    const { callers } = await createTeamWithMembers();
    const created = await createDataset(callers.user, {
      name: "Support answers",
      description: "Questions customers ask",
      cases: [{ prompt: "How do I reset my password?", expected: { contains: ["reset link"] } }],
    });
    expect(datasetView.parse(created)).toEqual(created);
    expect(created).toMatchObject({ version: 1, latestVersion: 1, caseCount: 1, lastExperiment: null });
    const first = created.cases[0]!;
    expect(first.key).toMatch(/^c-[a-z0-9]{6}$/);

    const added = await addCase(callers.user, created.id, {
      key: "refund",
      prompt: "Can I get a refund?",
      expected: { rubric: "Polite." },
    });
    expect(added.version).toBe(2);
    expect(added.cases.map((item) => item.key)).toEqual([first.key, "refund"]);

    const edited = await updateCase(callers.user, created.id, first.key, { prompt: "How do I reset it?", expected: { maxTokens: 500 } });
    expect(edited.version).toBe(3);
    expect(edited.cases.find((item) => item.key === first.key)).toMatchObject({
      prompt: "How do I reset it?",
      expected: { maxTokens: 500 },
    });

    const removed = await deleteCase(callers.user, created.id, "refund");
    expect(removed).toMatchObject({ version: 4, caseCount: 1 });

    // Old versions read as they were written.
    const v1 = await getDataset(callers.viewer, created.id, { version: "1" });
    expect(v1.cases).toEqual([
      expect.objectContaining({ key: first.key, prompt: "How do I reset my password?", expected: { contains: ["reset link"] } }),
    ]);
    const v2 = await getDataset(callers.viewer, created.id, { version: 2 });
    expect(v2.cases.map((item) => [item.key, item.prompt])).toEqual([
      [first.key, "How do I reset my password?"],
      ["refund", "Can I get a refund?"],
    ]);
    // Each version has its own case rows: an edit never touched a row an older version holds.
    expect(new Set([...v1.cases, ...v2.cases, ...edited.cases].map((item) => item.id)).size).toBe(5);

    const versions = await listVersions(callers.viewer, created.id);
    expect(versions.map((version) => datasetVersionView.parse(version))).toEqual(versions);
    expect(versions.map((version) => [version.version, version.caseCount, version.note])).toEqual([
      [4, 1, "deleted case refund"],
      [3, 2, `edited case ${first.key}`],
      [2, 2, "added case refund"],
      [1, 1, "created with 1 case"],
    ]);
    expect(versions[0]!.createdBy).toMatch(/^user-.*@test\.dev$/);

    expect(await errorOf(getDataset(callers.viewer, created.id, { version: 9 }))).toMatchObject({ code: "not_found", field: "version" });
    expect(await errorOf(getDataset(callers.viewer, created.id, { version: "two" }))).toMatchObject({
      code: "bad_request",
      field: "version",
    });
    expect(await errorOf(updateCase(callers.user, created.id, "refund", { prompt: "gone" }))).toMatchObject({
      code: "not_found",
      field: "key",
    });
  });

  it("gives parallel edits consecutive versions and loses none", async () => {
    const { callers } = await createTeamWithMembers();
    const { id } = await createDataset(callers.user, { name: "Parallel" });
    const keys = Array.from({ length: 8 }, (_, index) => `k${index}`);
    const results = await Promise.all(keys.map((key) => addCase(callers.user, id, { key, prompt: `Prompt ${key}` })));
    expect(results.map((result) => result.version).sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    const latest = await getDataset(callers.viewer, id);
    expect(latest.latestVersion).toBe(9);
    expect(latest.cases.map((item) => item.key).sort()).toEqual(keys);
    // Version n holds exactly n − 1 cases: each edit started from the one before it.
    const versions = await listVersions(callers.viewer, id);
    expect(versions.map((version) => version.caseCount)).toEqual([8, 7, 6, 5, 4, 3, 2, 1, 0]);
  });

  it("refuses a taken name and a taken key with 409s naming them", async () => {
    const { callers } = await createTeamWithMembers();
    const a = await createDataset(callers.user, { name: "Alpha", cases: [{ key: "one", prompt: "First" }] });
    await createDataset(callers.user, { name: "Beta" });
    expect(await errorOf(createDataset(callers.user, { name: "Alpha" }))).toMatchObject({ code: "conflict", field: "name" });
    expect(await errorOf(updateDataset(callers.user, a.id, { name: "Beta" }))).toMatchObject({ code: "conflict", field: "name" });
    expect(await errorOf(addCase(callers.user, a.id, { key: "one", prompt: "Again" }))).toMatchObject({ code: "conflict", field: "key" });
    expect(
      await errorOf(
        createDataset(callers.user, {
          name: "Gamma",
          cases: [
            { key: "x", prompt: "a" },
            { key: "x", prompt: "b" },
          ],
        }),
      ),
    ).toMatchObject({ code: "conflict", field: "key" });
    // Nothing was written by the refused edits.
    expect(await listVersions(callers.viewer, a.id)).toHaveLength(1);
    expect((await listDatasets(callers.viewer)).map((dataset) => dataset.name)).toEqual(["Alpha", "Beta"]);
    const renamed = await updateDataset(callers.user, a.id, { name: "Alpha 2", description: "Renamed" });
    expect(renamed).toMatchObject({ name: "Alpha 2", description: "Renamed", latestVersion: 1 });
    // ?name= finds one dataset by its exact name (what the CLI's --dataset does).
    expect((await listDatasets(callers.viewer, { name: "Alpha 2" })).map((dataset) => dataset.id)).toEqual([a.id]);
    expect(await listDatasets(callers.viewer, { name: "Alpha" })).toEqual([]);
  });
});

describe("imports", () => {
  it("appends JSONL cases and replaces with CSV ones", async () => {
    const { callers } = await createTeamWithMembers();
    const { id } = await createDataset(callers.user, { name: "Imports", cases: [{ key: "kept", prompt: "Existing" }] });
    const jsonl = [
      JSON.stringify({ key: "j1", prompt: "Name three rivers", expected: { contains: ["Nile"], maxCostUsd: 0.5 } }),
      "",
      JSON.stringify({ prompt: "Summarise the report", expected: { matches: ["^#"] } }),
    ].join("\n");
    const appended = await importCases(callers.user, id, { format: "jsonl", content: jsonl });
    expect(appended).toMatchObject({ version: 2, caseCount: 3 });
    expect(appended.cases.map((item) => item.key).slice(0, 2)).toEqual(["kept", "j1"]);
    expect(appended.cases[1]!.expected).toEqual({ contains: ["Nile"], maxCostUsd: 0.5 });

    const csv = [
      "key,prompt,contains,citations,maxTokens,reference",
      'c1,"What is 2+2, exactly?",4|four,https://example.com/math,300,Four.',
      "c2,Name a colour,,,,",
    ].join("\n");
    const replaced = await importCases(callers.user, id, { format: "csv", content: csv, mode: "replace" });
    expect(replaced).toMatchObject({ version: 3, caseCount: 2 });
    expect(replaced.cases).toEqual([
      expect.objectContaining({
        key: "c1",
        prompt: "What is 2+2, exactly?",
        expected: { contains: ["4", "four"], citations: ["https://example.com/math"], maxTokens: 300, reference: "Four." },
      }),
      expect.objectContaining({ key: "c2", prompt: "Name a colour", expected: {} }),
    ]);
    expect((await listVersions(callers.viewer, id))[0]!.note).toBe("replaced the cases with 2 cases from an import");
  });

  it("fails the whole import on the first bad line, naming it, and writes nothing", async () => {
    const { callers } = await createTeamWithMembers();
    const { id } = await createDataset(callers.user, { name: "Bad imports" });
    const lines = [
      JSON.stringify({ prompt: "Fine" }),
      JSON.stringify({ prompt: "Also fine", expected: { contains: ["x"] } }),
      JSON.stringify({ prompt: "Broken", expected: { maxTokens: -3 } }),
    ].join("\n");
    const jsonlError = await errorOf(importCases(callers.user, id, { format: "jsonl", content: lines }));
    expect(jsonlError).toMatchObject({ code: "bad_request", field: "content" });
    expect(jsonlError.message).toMatch(/^line 3: expected\.maxTokens/);
    expect(await errorOf(importCases(callers.user, id, { format: "jsonl", content: '{"prompt":"ok"}\nnot json' }))).toMatchObject({
      message: expect.stringMatching(/^line 2: /),
    });
    const csvError = await errorOf(importCases(callers.user, id, { format: "csv", content: "prompt,maxTokens\nFine,10\nBad,lots\n" }));
    expect(csvError).toMatchObject({ code: "bad_request", field: "content" });
    expect(csvError.message).toMatch(/^line 3: expected\.maxTokens/);
    expect(await errorOf(importCases(callers.user, id, { format: "csv", content: "question\nWhy?\n" }))).toMatchObject({
      field: "content",
      message: expect.stringMatching(/^line 1: unknown column "question"/),
    });
    // A key the dataset has already: a conflict naming the line of the file.
    await addCase(callers.user, id, { key: "dup", prompt: "Taken" });
    const clash = await errorOf(
      importCases(callers.user, id, { format: "jsonl", content: '{"prompt":"a"}\n\n{"key":"dup","prompt":"b"}' }),
    );
    expect(clash).toMatchObject({ code: "conflict", field: "key", message: expect.stringMatching(/^line 3: the key "dup"/) });
    expect(await listVersions(callers.viewer, id)).toHaveLength(2);
    expect(await getDb().evalCase.count({ where: { teamId: callers.user.teamId } })).toBe(1);
  });
});

describe("from a task", () => {
  it("adds a finished task's prompt and result as a case, and refuses another team's task", async () => {
    const { callers } = await createTeamWithMembers();
    const other = await createTeamWithMembers();
    const task = await createTask(callers.user, { prompt: "Explain why the sky is blue in two sentences." });
    const { id } = await createDataset(callers.user, { name: "From tasks" });
    const running = await getDb().task.create({ data: { teamId: callers.user.teamId, prompt: "Still going", status: "running" } });
    expect(await errorOf(addCaseFromTask(callers.user, id, { taskId: running.id }))).toMatchObject({ code: "conflict", field: "taskId" });
    await waitForTaskStatus(task.id, ["completed"]);
    const stored = await getDb().task.findUniqueOrThrow({ where: { id: task.id }, select: { output: true } });
    const markdown = (stored.output as { markdown: string }).markdown;

    const added = await addCaseFromTask(callers.user, id, { taskId: task.id, expected: { contains: ["blue"] } });
    const made = added.cases.at(-1)!;
    expect(made).toMatchObject({
      prompt: "Explain why the sky is blue in two sentences.",
      sourceTaskId: task.id,
      expected: { contains: ["blue"], reference: markdown.trim() },
    });
    expect((await listVersions(callers.viewer, id))[0]!.note).toBe(`added case ${made.key} from task ${task.id}`);

    const { id: theirs } = await createDataset(other.callers.user, { name: "Theirs" });
    expect(await errorOf(addCaseFromTask(other.callers.user, theirs, { taskId: task.id }))).toMatchObject({
      code: "not_found",
      field: "taskId",
    });
    expect(await errorOf(addCaseFromTask(callers.user, id, { taskId: "not a task" }))).toMatchObject({
      code: "bad_request",
      field: "taskId",
    });
  }, 60_000);

  it("refuses a task that finished without a result", async () => {
    const { callers } = await createTeamWithMembers();
    const failed = await getDb().task.create({
      data: { teamId: callers.user.teamId, prompt: "Never answered", status: "failed", error: "boom", completedAt: new Date() },
    });
    const { id } = await createDataset(callers.user, { name: "No result" });
    expect(await errorOf(addCaseFromTask(callers.user, id, { taskId: failed.id }))).toMatchObject({ code: "bad_request", field: "taskId" });
    expect(await listVersions(callers.viewer, id)).toHaveLength(1);
  });
});

describe("roles and teams", () => {
  it("lets viewers read, users edit and only admins delete; another team sees nothing", async () => {
    const { callers } = await createTeamWithMembers();
    const other = await createTeamWithMembers();
    const dataset = await createDataset(callers.user, { name: "Roles", cases: [{ key: "a", prompt: "A" }] });
    expect(await errorOf(createDataset(callers.viewer, { name: "Nope" }))).toMatchObject({ code: "forbidden" });
    expect(await errorOf(addCase(callers.viewer, dataset.id, { prompt: "Nope" }))).toMatchObject({ code: "forbidden" });
    expect(await errorOf(deleteDataset(callers.user, dataset.id))).toMatchObject({ code: "forbidden" });
    expect((await getDataset(callers.viewer, dataset.id)).cases).toHaveLength(1);

    const outsider: Caller = other.callers.admin;
    expect(await listDatasets(outsider)).toEqual([]);
    for (const attempt of [
      () => getDataset(outsider, dataset.id),
      () => listVersions(outsider, dataset.id),
      () => addCase(outsider, dataset.id, { prompt: "Theirs" }),
      () => updateCase(outsider, dataset.id, "a", { prompt: "Theirs" }),
      () => deleteCase(outsider, dataset.id, "a"),
      () => importCases(outsider, dataset.id, { format: "jsonl", content: '{"prompt":"x"}' }),
      () => updateDataset(outsider, dataset.id, { name: "Theirs" }),
      () => deleteDataset(outsider, dataset.id),
    ])
      expect(await errorOf(attempt())).toMatchObject({ code: "not_found" });

    expect(await deleteDataset(callers.admin, dataset.id)).toEqual({ deleted: dataset.id });
    expect(await errorOf(getDataset(callers.viewer, dataset.id))).toMatchObject({ code: "not_found" });
    expect(await getDb().evalCase.count({ where: { teamId: callers.user.teamId } })).toBe(0);
    const audit = await getDb().auditEvent.findMany({
      where: { teamId: callers.user.teamId },
      select: { action: true },
      orderBy: { createdAt: "asc" },
    });
    expect(audit.map((event) => event.action)).toEqual(["eval.dataset_created", "eval.dataset_deleted"]);
  });
});

describe("over REST", () => {
  it("creates with 201 and a Location, imports a multipart file, and answers the views", async () => {
    const { team } = await createTeamWithMembers();
    const auth = { authorization: `Bearer ${(await createApiKey({ teamId: team.id, role: "user", name: "user" })).key}` };
    const send = (method: string, path: string, body?: unknown) =>
      fetch(`${api.baseURL}${path}`, {
        method,
        headers: { ...auth, ...(body instanceof FormData ? {} : { "content-type": "application/json" }) },
        body: body instanceof FormData ? body : body === undefined ? undefined : JSON.stringify(body),
      });
    const created = await send("POST", "/api/v1/evals/datasets", { name: "REST", cases: [{ key: "a", prompt: "A" }] });
    expect(created.status).toBe(201);
    const dataset = datasetView.parse(await created.json());
    expect(created.headers.get("location")).toBe(`/api/v1/evals/datasets/${dataset.id}`);

    const form = new FormData();
    form.set("file", new Blob(['{"key":"b","prompt":"B"}\n{"key":"c","prompt":"C"}\n']), "cases.jsonl");
    const imported = await send("POST", `/api/v1/evals/datasets/${dataset.id}/import`, form);
    expect(imported.status).toBe(201);
    expect(imported.headers.get("location")).toBe(`/api/v1/evals/datasets/${dataset.id}?version=2`);
    expect((await imported.json()).cases.map((item: { key: string }) => item.key)).toEqual(["a", "b", "c"]);

    const bad = await send("POST", `/api/v1/evals/datasets/${dataset.id}/import`, { format: "csv", content: "prompt,maxCostUsd\nX,-1\n" });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatchObject({ field: "content", message: expect.stringMatching(/^line 2: expected\.maxCostUsd/) });

    const patched = await send("PATCH", `/api/v1/evals/datasets/${dataset.id}`, { description: "Over REST" });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ description: "Over REST", latestVersion: 2 });

    const updated = await send("PUT", `/api/v1/evals/datasets/${dataset.id}/cases/b`, { prompt: "B2", expected: { contains: ["b"] } });
    expect(await updated.json()).toMatchObject({ version: 3 });
    const removed = await send("DELETE", `/api/v1/evals/datasets/${dataset.id}/cases/c`);
    expect(await removed.json()).toMatchObject({ version: 4, caseCount: 2 });

    const old = await send("GET", `/api/v1/evals/datasets/${dataset.id}?version=2`);
    expect((await old.json()).cases.map((item: { prompt: string }) => item.prompt)).toEqual(["A", "B", "C"]);
    const list = await (await send("GET", "/api/v1/evals/datasets?name=REST")).json();
    expect(list.map((item: unknown) => datasetSummaryView.parse(item))).toMatchObject([{ name: "REST", latestVersion: 4, caseCount: 2 }]);
    const versions = await (await send("GET", `/api/v1/evals/datasets/${dataset.id}/versions`)).json();
    expect(versions.map((version: { version: number }) => version.version)).toEqual([4, 3, 2, 1]);
    expect((await send("DELETE", `/api/v1/evals/datasets/${dataset.id}`)).status).toBe(403);
  });
});
