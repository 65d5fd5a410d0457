"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useState } from "react";
import { useTRPC } from "@/components/providers";
import { StatusBadge } from "@/components/ui/status-badge";
import { formatAge, formatDuration } from "@/components/ui/format";
import type { TaskSummaryView } from "@/server/tasks/task-views";
import { isTaskActive } from "@/server/domain/task-vocabulary";

export function TaskList({ initial }: { initial: { tasks: TaskSummaryView[]; nextCursor: string | null } }) {
  const trpc = useTRPC();
  const [now, setNow] = useState(() => Date.now());
  const { data, error } = useQuery({
    ...trpc.task.list.queryOptions({ limit: 50 }),
    initialData: initial,
    // Keep ages and statuses fresh while anything is still in flight.
    refetchInterval: (query) => (query.state.data?.tasks.some((task) => isTaskActive(task.status)) ? 2000 : false),
  });
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 10_000);
    return () => clearInterval(timer);
  }, []);

  if (error)
    return (
      <p role="alert" className="text-sm text-red-700">
        Could not load tasks: {error.message}
      </p>
    );
  if (data.tasks.length === 0) {
    return (
      <p className="rounded-md border border-dashed border-slate-300 px-4 py-8 text-center text-sm text-slate-500">
        No tasks yet. Submit one above and watch the agents work.
      </p>
    );
  }
  return (
    <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
      <table className="w-full text-left text-sm" data-testid="task-list">
        <thead className="bg-slate-50 text-xs uppercase text-slate-500">
          <tr>
            {["Task", "Status", "Created", "Duration"].map((column) => (
              <th key={column} scope="col" className="px-4 py-2">
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {data.tasks.map((task) => (
            <tr key={task.id} className="border-t border-slate-100 hover:bg-slate-50">
              <td className="max-w-md px-4 py-2">
                <Link href={`/tasks/${task.id}`} className="line-clamp-2 text-indigo-700 hover:underline">
                  {task.prompt}
                </Link>
              </td>
              <td className="px-4 py-2">
                <StatusBadge status={task.status} />
              </td>
              <td className="whitespace-nowrap px-4 py-2 text-slate-600" title={task.createdAt}>
                {formatAge(task.createdAt, now)}
              </td>
              <td className="whitespace-nowrap px-4 py-2 text-slate-600">{formatDuration(task.durationMs)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
