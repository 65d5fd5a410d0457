"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useTRPC } from "@/components/providers";
import { Button } from "@/components/ui/button";
import { ErrorNote } from "@/components/ui/error-note";
import type { EvalCaseView, EvalExpectations } from "@/server/evals/eval-schemas";
import { CaseEditor } from "./case-editor";
import { caseFormValues } from "./case-form-values";

/**
 * The cases of one version of a dataset, in order, each with what it expects. On the latest
 * version members who may write can edit a case (its key stays) or remove it; either writes a
 * new version, and older versions keep the case as it was.
 */
export function DatasetCases({ datasetId, cases, editable }: { datasetId: string; cases: EvalCaseView[]; editable: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [editing, setEditing] = useState<string | null>(null);
  const remove = useMutation(trpc.evalDatasets.deleteCase.mutationOptions({ onSuccess: () => router.refresh() }));

  if (cases.length === 0) return <p className="rounded-md bg-slate-100 px-4 py-3 text-sm text-slate-700">No cases in this version yet.</p>;
  return (
    <div className="space-y-2">
      <ErrorNote error={remove.error} />
      <ol className="space-y-2">
        {cases.map((item) => (
          <li key={item.id} id={`case-${item.key}`} className="rounded-lg border border-slate-200 bg-white p-3 text-sm shadow-sm">
            {editing === item.key ? (
              <CaseEditor
                datasetId={datasetId}
                caseKey={item.key}
                initial={caseFormValues(item.prompt, item.expected)}
                onDone={() => setEditing(null)}
              />
            ) : (
              <div className="flex flex-wrap items-start justify-between gap-3">
                <div className="min-w-0 flex-1 space-y-1">
                  <p className="font-mono text-xs text-slate-500" data-testid="case-key">
                    {item.key}
                    {item.sourceTaskId ? (
                      <>
                        {" · from "}
                        <a href={`/tasks/${item.sourceTaskId}`} className="text-indigo-700 hover:underline">
                          a task
                        </a>
                      </>
                    ) : null}
                  </p>
                  <p className="whitespace-pre-wrap text-slate-900">{item.prompt}</p>
                  <Expectations expected={item.expected} />
                </div>
                {editable ? (
                  <div className="flex gap-2">
                    <Button type="button" variant="secondary" onClick={() => setEditing(item.key)} aria-label={`Edit case ${item.key}`}>
                      Edit
                    </Button>
                    <Button
                      type="button"
                      variant="secondary"
                      disabled={remove.isPending}
                      onClick={() => remove.mutate({ id: datasetId, key: item.key })}
                      aria-label={`Remove case ${item.key}`}
                    >
                      Remove
                    </Button>
                  </div>
                ) : null}
              </div>
            )}
          </li>
        ))}
      </ol>
    </div>
  );
}

/** What a case expects, one short line per expectation that is set. */
function Expectations({ expected }: { expected: EvalExpectations }) {
  const rows: Array<[string, string]> = [];
  if (expected.contains?.length) rows.push(["Contains", expected.contains.join(" · ")]);
  if (expected.matches?.length) rows.push(["Matches", expected.matches.join(" · ")]);
  if (expected.citations?.length) rows.push(["Cites", expected.citations.join(" · ")]);
  if (expected.rubric) rows.push(["Rubric", expected.rubric]);
  if (expected.reference) rows.push(["Reference", cut(expected.reference, 240)]);
  if (expected.jsonSchema) rows.push(["JSON Schema", cut(JSON.stringify(expected.jsonSchema), 120)]);
  const limits = [
    expected.maxCostUsd !== undefined ? `≤ $${expected.maxCostUsd}` : null,
    expected.maxTokens !== undefined ? `≤ ${expected.maxTokens} tokens` : null,
    expected.maxDurationMs !== undefined ? `≤ ${expected.maxDurationMs} ms` : null,
  ].filter(Boolean);
  if (limits.length) rows.push(["Limits", limits.join(", ")]);
  if (rows.length === 0) return <p className="text-xs text-slate-500">No expectations: only whether the task completes.</p>;
  return (
    <dl className="grid grid-cols-[max-content_1fr] gap-x-3 gap-y-0.5 text-xs">
      {rows.map(([name, value]) => (
        <div key={name} className="contents">
          <dt className="font-medium text-slate-600">{name}</dt>
          <dd className="min-w-0 break-words text-slate-800">{value}</dd>
        </div>
      ))}
    </dl>
  );
}

const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
