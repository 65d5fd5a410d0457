"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { useTRPC } from "@/components/providers";
import { Button } from "@/components/ui/button";
import { ErrorNote, settingsInputClass } from "@/components/ui/error-note";

const NEW_DATASET = "";

/**
 * "Add to dataset" on a finished task's page: the task's prompt becomes a case's prompt and its
 * result the case's reference answer, in a dataset the member picks or names here; facts the
 * result must contain and a rubric can be added on the way. Links to the new case after.
 */
export function AddToDataset({ taskId }: { taskId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const [open, setOpen] = useState(false);
  const [datasetId, setDatasetId] = useState<string | null>(null);
  const [newName, setNewName] = useState("");
  const [contains, setContains] = useState("");
  const [rubric, setRubric] = useState("");
  const [added, setAdded] = useState<{ datasetId: string; name: string; key: string; version: number } | null>(null);
  const datasets = useQuery({ ...trpc.evalDatasets.list.queryOptions(), enabled: open });
  const create = useMutation(trpc.evalDatasets.create.mutationOptions());
  const addFromTask = useMutation(trpc.evalDatasets.addFromTask.mutationOptions());
  const pending = create.isPending || addFromTask.isPending;
  // Until the list arrives nothing is chosen (no "new dataset" name field flashing up).
  const chosen = datasetId ?? (datasets.data ? (datasets.data[0]?.id ?? NEW_DATASET) : undefined);

  async function submit() {
    setAdded(null);
    const facts = contains
      .split("\n")
      .map((line) => line.trim())
      .filter(Boolean);
    const expected = { ...(facts.length ? { contains: facts } : {}), ...(rubric.trim() ? { rubric: rubric.trim() } : {}) };
    if (chosen === undefined) return;
    let target = chosen;
    if (target === NEW_DATASET) {
      // Chosen from now on, so a retry after a failed add does not create it twice.
      target = (await create.mutateAsync({ name: newName })).id;
      setDatasetId(target);
      await queryClient.invalidateQueries(trpc.evalDatasets.list.queryFilter());
    }
    const dataset = await addFromTask.mutateAsync({ id: target, taskId, ...(Object.keys(expected).length ? { expected } : {}) });
    const made = dataset.cases.filter((item) => item.sourceTaskId === taskId).at(-1);
    setAdded({ datasetId: dataset.id, name: dataset.name, key: made?.key ?? "", version: dataset.version });
    setDatasetId(dataset.id);
  }

  if (!open)
    return (
      <Button type="button" variant="secondary" onClick={() => setOpen(true)}>
        Add to dataset…
      </Button>
    );
  return (
    <section aria-labelledby={`${id}-heading`} className="space-y-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm">
      <h2 id={`${id}-heading`} className="text-base font-semibold">
        Add this task to an evals dataset
      </h2>
      <p className="text-sm text-slate-600">Its prompt becomes the case&apos;s prompt and its result the reference answer.</p>
      <form
        className="space-y-3"
        onSubmit={(event) => {
          event.preventDefault();
          submit().catch(() => undefined);
        }}
      >
        <div className="grid gap-3 sm:grid-cols-2">
          <div>
            <label htmlFor={`${id}-dataset`} className="block text-sm font-medium text-slate-800">
              Dataset
            </label>
            <select
              id={`${id}-dataset`}
              value={chosen ?? NEW_DATASET}
              onChange={(event) => setDatasetId(event.target.value)}
              disabled={datasets.isPending || pending}
              className={settingsInputClass}
            >
              {(datasets.data ?? []).map((dataset) => (
                <option key={dataset.id} value={dataset.id}>
                  {dataset.name} ({dataset.caseCount} cases)
                </option>
              ))}
              <option value={NEW_DATASET}>A new dataset…</option>
            </select>
          </div>
          {chosen === NEW_DATASET ? (
            <div>
              <label htmlFor={`${id}-name`} className="block text-sm font-medium text-slate-800">
                New dataset&apos;s name
              </label>
              <input
                id={`${id}-name`}
                required
                maxLength={100}
                value={newName}
                onChange={(event) => setNewName(event.target.value)}
                className={settingsInputClass}
              />
            </div>
          ) : null}
        </div>
        <div className="grid gap-3 sm:grid-cols-2">
          <div>
            <label htmlFor={`${id}-contains`} className="block text-sm font-medium text-slate-800">
              Must contain <span className="font-normal text-slate-500">(optional, one fact per line)</span>
            </label>
            <textarea
              id={`${id}-contains`}
              rows={2}
              value={contains}
              onChange={(event) => setContains(event.target.value)}
              className={settingsInputClass}
            />
          </div>
          <div>
            <label htmlFor={`${id}-rubric`} className="block text-sm font-medium text-slate-800">
              Rubric <span className="font-normal text-slate-500">(optional)</span>
            </label>
            <textarea
              id={`${id}-rubric`}
              rows={2}
              value={rubric}
              onChange={(event) => setRubric(event.target.value)}
              className={settingsInputClass}
            />
          </div>
        </div>
        <ErrorNote error={datasets.error ?? create.error ?? addFromTask.error} />
        {added ? (
          <p role="status" className="rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-800">
            Added as case{" "}
            <a href={`/evals/datasets/${added.datasetId}#case-${added.key}`} className="font-medium underline">
              {added.key}
            </a>{" "}
            of “{added.name}” (version {added.version}).
          </p>
        ) : null}
        <div className="flex flex-wrap gap-2">
          <Button type="submit" disabled={pending || chosen === undefined}>
            {pending ? "Adding…" : "Add case"}
          </Button>
          <Button type="button" variant="secondary" onClick={() => setOpen(false)} disabled={pending}>
            Close
          </Button>
        </div>
      </form>
    </section>
  );
}
