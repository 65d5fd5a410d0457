"use client";

import { useInfiniteQuery, useMutation, useQueryClient, type InfiniteData } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useRef, useState } from "react";
import { useTRPC } from "@/components/providers";
import { Button } from "@/components/ui/button";
import { StatusBadge } from "@/components/ui/status-badge";
import { formatAge, formatCost, formatDuration, formatUtcTime } from "@/components/ui/format";
import type { TaskListItemView } from "@/server/tasks/task-views";
import { isTaskActive } from "@/server/domain/task-vocabulary";
import { TaskListFilters, type TaskFilterChoices, type TaskListFilterValues } from "./task-list-filters";
import { useTeamTaskStream, type TeamTaskChange } from "./use-team-task-stream";

/**
 * The team's tasks (docs/dashboard.md): search and filters, "Load more" through every page, and
 * rows kept current by the team stream — no re-polling while tasks run (a slow re-read only
 * while the stream is down). A table on wide screens, cards on a phone. Ages are absolute times
 * until the page has mounted, so the server's and the browser's first render agree.
 */
type TaskPage = { tasks: TaskListItemView[]; nextCursor: string | null };

const PAGE_SIZE = 50;
/** While the stream is down, the list re-reads this often. */
const FALLBACK_POLL_MS = 30_000;

export function TaskList({ initial, choices, canExecute }: { initial: TaskPage; choices: TaskFilterChoices; canExecute: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [filters, setFilters] = useState<TaskListFilterValues>({});
  const [now, setNow] = useState<number | null>(null);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const filtered = Object.keys(filters).length > 0;

  const input = { ...filters, limit: PAGE_SIZE };
  const { connected } = useTeamTaskStream({
    onChange: (change) => {
      patchStatus(change);
      scheduleRefresh();
    },
    onReset: () => scheduleRefresh(),
  });
  const list = useInfiniteQuery({
    ...trpc.task.list.infiniteQueryOptions(input, { getNextPageParam: (page) => page.nextCursor ?? undefined }),
    initialData: filtered ? undefined : { pages: [initial], pageParams: [null] },
    refetchInterval: connected ? false : FALLBACK_POLL_MS,
  });

  /** A status change shown at once in the rows already on screen. */
  function patchStatus(change: TeamTaskChange) {
    queryClient.setQueriesData<InfiniteData<TaskPage>>({ queryKey: trpc.task.list.pathKey() }, (data) =>
      data?.pages
        ? {
            ...data,
            pages: data.pages.map((page) => ({
              ...page,
              tasks: page.tasks.map((task) =>
                task.id === change.taskId ? { ...task, status: change.status as TaskListItemView["status"] } : task,
              ),
            })),
          }
        : data,
    );
  }

  // Then one re-read of the list (new tasks, tokens, cost, duration) after a burst of changes.
  const refreshTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  function scheduleRefresh() {
    clearTimeout(refreshTimer.current);
    refreshTimer.current = setTimeout(() => void queryClient.invalidateQueries({ queryKey: trpc.task.list.pathKey() }), 400);
  }

  useEffect(() => {
    // Relative ages start after hydration (a turn later), so the first client render matches the server's.
    const first = setTimeout(() => setNow(Date.now()), 0);
    const timer = setInterval(() => setNow(Date.now()), 10_000);
    return () => {
      clearTimeout(first);
      clearInterval(timer);
      clearTimeout(refreshTimer.current);
    };
  }, []);

  const tasks = list.data?.pages.flatMap((page) => page.tasks) ?? [];
  const selectable = canExecute ? tasks.filter((task) => isTaskActive(task.status)) : [];
  const chosen = selectable.filter((task) => selected.has(task.id));
  const toggle = (id: string, on: boolean) =>
    setSelected((current) => {
      const next = new Set(current);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });

  return (
    <div>
      <TaskListFilters
        choices={choices}
        onApply={(next) => {
          setSelected(new Set());
          setFilters(next);
        }}
      />
      {canExecute ? (
        <BulkCancel
          tasks={chosen}
          onDone={() => {
            setSelected(new Set());
            void queryClient.invalidateQueries({ queryKey: trpc.task.list.pathKey() });
          }}
        />
      ) : null}
      {list.error ? (
        <p role="alert" className="text-sm text-red-700">
          Could not load tasks: {list.error.message}
        </p>
      ) : list.isPending ? (
        <p className="px-4 py-8 text-center text-sm text-slate-500" role="status">
          Loading tasks…
        </p>
      ) : tasks.length === 0 ? (
        <p className="rounded-md border border-dashed border-slate-300 px-4 py-8 text-center text-sm text-slate-500">
          {filtered ? "No tasks match these filters." : "No tasks yet. Submit one above and watch the agents work."}
        </p>
      ) : (
        <>
          <TaskTable tasks={tasks} now={now} selectable={canExecute} selected={selected} onToggle={toggle} />
          <TaskCards tasks={tasks} now={now} selectable={canExecute} selected={selected} onToggle={toggle} />
        </>
      )}
      <div className="mt-3 flex items-center justify-between gap-2 text-xs text-slate-500">
        <span data-testid="stream-state">{connected ? "Live" : "Reconnecting… (refreshing every 30 s)"}</span>
        {list.hasNextPage ? (
          <Button variant="secondary" disabled={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
            {list.isFetchingNextPage ? "Loading…" : "Load more"}
          </Button>
        ) : tasks.length > PAGE_SIZE ? (
          <span>All {tasks.length} tasks shown</span>
        ) : null}
      </div>
    </div>
  );
}

interface RowProps {
  tasks: TaskListItemView[];
  now: number | null;
  selectable: boolean;
  selected: ReadonlySet<string>;
  onToggle: (id: string, on: boolean) => void;
}

/** Relative once mounted; the same absolute text on the server and in the browser's first render. */
const created = (task: TaskListItemView, now: number | null) =>
  now === null ? formatUtcTime(task.createdAt) : formatAge(task.createdAt, now);

function submitterOf(task: TaskListItemView): string {
  if (!task.submitter) return "—";
  const name = task.submitter.name ?? "(deleted)";
  return task.submitter.type === "api_key" ? `API key: ${name}` : name;
}

function SelectBox({
  task,
  selected,
  onToggle,
}: {
  task: TaskListItemView;
  selected: ReadonlySet<string>;
  onToggle: RowProps["onToggle"];
}) {
  if (!isTaskActive(task.status)) return null;
  return (
    <input
      type="checkbox"
      aria-label={`Select "${task.prompt.slice(0, 60)}" to cancel`}
      checked={selected.has(task.id)}
      onChange={(event) => onToggle(task.id, event.target.checked)}
    />
  );
}

function TaskTitle({ task }: { task: TaskListItemView }) {
  return (
    <>
      <Link href={`/tasks/${task.id}`} className="line-clamp-2 break-words text-indigo-700 hover:underline">
        {task.prompt}
      </Link>
      {task.parentTaskId ? (
        <Link
          href={`/tasks/${task.parentTaskId}`}
          className="mt-0.5 inline-block text-xs text-slate-500 hover:underline"
          data-testid="rerun-of"
        >
          ↻ rerun of an earlier task
        </Link>
      ) : null}
    </>
  );
}

function TaskTable({ tasks, now, selectable, selected, onToggle }: RowProps) {
  return (
    <div className="hidden overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm md:block">
      <table className="w-full text-left text-sm" data-testid="task-list">
        <thead className="bg-slate-50 text-xs uppercase text-slate-500">
          <tr>
            {selectable ? (
              <th scope="col" className="w-8 px-3 py-2">
                <span className="sr-only">Select</span>
              </th>
            ) : null}
            {["Task", "Status", "Submitted by", "Tokens", "Cost", "Created", "Duration"].map((column) => (
              <th key={column} scope="col" className="px-3 py-2">
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {tasks.map((task) => (
            <tr key={task.id} data-task-id={task.id} className="border-t border-slate-100 hover:bg-slate-50">
              {selectable ? (
                <td className="px-3 py-2">
                  <SelectBox task={task} selected={selected} onToggle={onToggle} />
                </td>
              ) : null}
              <td className="max-w-md px-3 py-2">
                <TaskTitle task={task} />
              </td>
              <td className="px-3 py-2">
                <StatusBadge status={task.status} />
              </td>
              <td className="max-w-40 truncate px-3 py-2 text-slate-600">{submitterOf(task)}</td>
              <td className="whitespace-nowrap px-3 py-2 text-slate-600">
                {(task.usage.inputTokens + task.usage.outputTokens).toLocaleString("en-US")}
              </td>
              <td className="whitespace-nowrap px-3 py-2 text-slate-600">{formatCost(task.usage.costUsd)}</td>
              <td className="whitespace-nowrap px-3 py-2 text-slate-600" title={task.createdAt}>
                {created(task, now)}
              </td>
              <td className="whitespace-nowrap px-3 py-2 text-slate-600">{formatDuration(task.durationMs)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The phone layout: one card per task with every column as a labelled line. */
function TaskCards({ tasks, now, selectable, selected, onToggle }: RowProps) {
  return (
    <ul className="space-y-2 md:hidden" data-testid="task-cards">
      {tasks.map((task) => (
        <li key={task.id} data-task-id={task.id} className="rounded-xl border border-slate-200 bg-white p-3 text-sm shadow-sm">
          <div className="flex items-start gap-2">
            {selectable ? <SelectBox task={task} selected={selected} onToggle={onToggle} /> : null}
            <div className="min-w-0 flex-1">
              <TaskTitle task={task} />
            </div>
            <StatusBadge status={task.status} />
          </div>
          <dl className="mt-2 grid grid-cols-2 gap-x-3 gap-y-1 text-xs text-slate-600">
            <dt className="text-slate-500">Submitted by</dt>
            <dd className="truncate">{submitterOf(task)}</dd>
            <dt className="text-slate-500">Tokens · cost</dt>
            <dd>
              {(task.usage.inputTokens + task.usage.outputTokens).toLocaleString("en-US")} · {formatCost(task.usage.costUsd)}
            </dd>
            <dt className="text-slate-500">Created</dt>
            <dd title={task.createdAt}>{created(task, now)}</dd>
            <dt className="text-slate-500">Duration</dt>
            <dd>{formatDuration(task.durationMs)}</dd>
          </dl>
        </li>
      ))}
    </ul>
  );
}

/** Cancels the selected tasks, one request each through the cancel every task page uses, after a confirmation. */
function BulkCancel({ tasks, onDone }: { tasks: TaskListItemView[]; onDone: () => void }) {
  const trpc = useTRPC();
  const cancel = useMutation(trpc.task.cancel.mutationOptions());
  const [confirming, setConfirming] = useState(false);
  const [failures, setFailures] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  if (tasks.length === 0 && failures.length === 0) return null;

  const cancelAll = async () => {
    setBusy(true);
    const results = await Promise.allSettled(tasks.map((task) => cancel.mutateAsync({ id: task.id })));
    setFailures(
      results.flatMap((result, index) =>
        result.status === "rejected" ? [`${tasks[index]!.prompt.slice(0, 60)}: ${(result.reason as Error).message}`] : [],
      ),
    );
    setBusy(false);
    setConfirming(false);
    onDone();
  };

  return (
    <div className="mb-3 rounded-xl border border-amber-200 bg-amber-50 p-3 text-sm" data-testid="bulk-cancel">
      {tasks.length > 0 && !confirming ? (
        <div className="flex flex-wrap items-center gap-3">
          <span>
            {tasks.length} task{tasks.length === 1 ? "" : "s"} selected
          </span>
          <Button variant="secondary" onClick={() => setConfirming(true)}>
            Cancel selected
          </Button>
        </div>
      ) : null}
      {confirming ? (
        <div role="alertdialog" aria-labelledby="bulk-cancel-question" className="flex flex-wrap items-center gap-3">
          <span id="bulk-cancel-question">
            Cancel {tasks.length} task{tasks.length === 1 ? "" : "s"}? Their agents stop and what they spent so far stays spent.
          </span>
          <Button disabled={busy} onClick={() => void cancelAll()}>
            {busy ? "Cancelling…" : `Yes, cancel ${tasks.length}`}
          </Button>
          <Button variant="secondary" disabled={busy} onClick={() => setConfirming(false)} autoFocus>
            Keep them
          </Button>
        </div>
      ) : null}
      {failures.length > 0 ? (
        <div role="alert" className="mt-2 text-red-700">
          Not cancelled:
          <ul className="list-disc pl-5">
            {failures.map((failure) => (
              <li key={failure}>{failure}</li>
            ))}
          </ul>
          <button type="button" className="mt-1 underline" onClick={() => setFailures([])}>
            Dismiss
          </button>
        </div>
      ) : null}
    </div>
  );
}
