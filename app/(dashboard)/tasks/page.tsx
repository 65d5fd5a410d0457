import type { Metadata } from "next";
import { dashboardCaller } from "@/server/auth/dashboard-caller";
import { can } from "@/server/auth/permissions";
import { listTaskFilterOptions, listTasks } from "@/server/tasks/tasks";
import { NewTaskForm } from "@/components/tasks/new-task-form";
import { TaskList } from "@/components/tasks/task-list";

export const metadata: Metadata = { title: "Tasks" };
export const dynamic = "force-dynamic";

export default async function TasksPage() {
  const caller = await dashboardCaller();
  const [initial, choices] = await Promise.all([listTasks(caller, { limit: 50 }), listTaskFilterOptions(caller)]);
  return (
    <div className="space-y-8">
      {can(caller.role, "execute") ? (
        <section aria-labelledby="new-task-heading" className="rounded-xl border border-slate-200 bg-white p-5 shadow-sm">
          <h1 id="new-task-heading" className="mb-3 text-lg font-semibold">
            New task
          </h1>
          <NewTaskForm />
        </section>
      ) : (
        <p className="rounded-md bg-slate-100 px-4 py-3 text-sm text-slate-700">
          Your role ({caller.role}) can read tasks but not start them.
        </p>
      )}
      <section aria-labelledby="tasks-heading">
        <h2 id="tasks-heading" className="mb-3 text-lg font-semibold">
          Team tasks
        </h2>
        <TaskList initial={initial} choices={choices} canExecute={can(caller.role, "execute")} />
      </section>
    </div>
  );
}
