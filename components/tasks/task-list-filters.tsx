"use client";

import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/button";
import { activeTaskStatuses, finishedTaskStatuses } from "@/server/domain/task-vocabulary";

/**
 * The task list's search box and filters. Nothing applies until the form is submitted (Enter in
 * the search box, or Apply), so typing does not send a request per key.
 */
type TaskStatusName = (typeof activeTaskStatuses)[number] | (typeof finishedTaskStatuses)[number];

export interface TaskListFilterValues {
  q?: string;
  status?: TaskStatusName[];
  agent?: string;
  submitter?: string;
  createdFrom?: string;
  createdTo?: string;
}

export interface TaskFilterChoices {
  agentKinds: string[];
  submitters: Array<{ type: "user" | "api_key"; id: string; name: string }>;
}

const statuses: TaskStatusName[] = [...activeTaskStatuses, ...finishedTaskStatuses];
const field =
  "rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500";

export function TaskListFilters({ choices, onApply }: { choices: TaskFilterChoices; onApply: (filters: TaskListFilterValues) => void }) {
  const [draft, setDraft] = useState<TaskListFilterValues>({});
  const set = (patch: TaskListFilterValues) => setDraft((current) => ({ ...current, ...patch }));
  const apply = (event: FormEvent) => {
    event.preventDefault();
    // Empty fields are no filter.
    onApply(Object.fromEntries(Object.entries(draft).filter(([, value]) => (Array.isArray(value) ? value.length > 0 : Boolean(value)))));
  };
  const clear = () => {
    setDraft({});
    onApply({});
  };
  const toggleStatus = (status: TaskStatusName, on: boolean) =>
    set({ status: on ? [...(draft.status ?? []), status] : (draft.status ?? []).filter((other) => other !== status) });

  return (
    <form
      role="search"
      aria-label="Search and filter tasks"
      onSubmit={apply}
      className="mb-3 space-y-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm"
    >
      <div className="flex flex-col gap-2 sm:flex-row">
        <label htmlFor="task-search" className="sr-only">
          Search prompts and results
        </label>
        <input
          id="task-search"
          type="search"
          placeholder='Search prompts and results ("a phrase", -without)'
          value={draft.q ?? ""}
          maxLength={500}
          onChange={(event) => set({ q: event.target.value })}
          className={`${field} flex-1`}
        />
        <div className="flex gap-2">
          <Button type="submit">Apply</Button>
          <Button type="button" variant="secondary" onClick={clear}>
            Clear
          </Button>
        </div>
      </div>
      <fieldset className="flex flex-wrap gap-x-4 gap-y-1 text-sm">
        <legend className="mb-1 text-xs font-medium uppercase text-slate-500">Status</legend>
        {statuses.map((status) => (
          <label key={status} className="inline-flex items-center gap-1.5">
            <input
              type="checkbox"
              checked={draft.status?.includes(status) ?? false}
              onChange={(event) => toggleStatus(status, event.target.checked)}
            />
            {status.replaceAll("_", " ")}
          </label>
        ))}
      </fieldset>
      <div className="grid grid-cols-1 gap-2 text-sm sm:grid-cols-2 lg:grid-cols-4">
        <label className="flex flex-col gap-1">
          <span className="text-xs font-medium uppercase text-slate-500">Agent</span>
          <select value={draft.agent ?? ""} onChange={(event) => set({ agent: event.target.value })} className={field}>
            <option value="">Any agent</option>
            {choices.agentKinds.map((kind) => (
              <option key={kind} value={kind}>
                {kind}
              </option>
            ))}
          </select>
        </label>
        <label className="flex flex-col gap-1">
          <span className="text-xs font-medium uppercase text-slate-500">Submitted by</span>
          <select value={draft.submitter ?? ""} onChange={(event) => set({ submitter: event.target.value })} className={field}>
            <option value="">Anyone</option>
            {choices.submitters.map((submitter) => (
              <option key={`${submitter.type}:${submitter.id}`} value={`${submitter.type}:${submitter.id}`}>
                {submitter.type === "api_key" ? `API key: ${submitter.name}` : submitter.name}
              </option>
            ))}
          </select>
        </label>
        <label className="flex flex-col gap-1">
          <span className="text-xs font-medium uppercase text-slate-500">Created from</span>
          <input
            type="date"
            value={draft.createdFrom ?? ""}
            onChange={(event) => set({ createdFrom: event.target.value })}
            className={field}
          />
        </label>
        <label className="flex flex-col gap-1">
          <span className="text-xs font-medium uppercase text-slate-500">Created to</span>
          <input type="date" value={draft.createdTo ?? ""} onChange={(event) => set({ createdTo: event.target.value })} className={field} />
        </label>
      </div>
    </form>
  );
}
