"use client";

import { Markdown } from "@/components/ui/markdown";
import { StatusBadge } from "@/components/ui/status-badge";
import { formatCost, formatDuration, formatUtcTime } from "@/components/ui/format";
import type { TaskView } from "@/server/tasks/task-views";
import Link from "next/link";
import { finishedTaskStatuses } from "@/server/domain/task-vocabulary";
import {
  agentsFromExecutions,
  stepsARerunReuses,
  storedPlanSteps,
  withReusedSteps,
  type AgentView,
  type PlanStepView,
} from "./task-progress";
import { useTaskProgress } from "./use-task-progress";
import { ApprovalPanel, CancelButton, RerunFromStep } from "./task-controls";
import { ToolCallList } from "./tool-call-list";
import { TaskResult } from "./task-result";
import { PlanGraph, stepBadge } from "./plan-graph";
import { TaskTimeline } from "./task-timeline";
import { StepDetails } from "./step-details";
import { attemptsFromExecutions, rememberAttempts, withLiveAttempts, type StepAttempt } from "./step-attempts";
import { useMemo, useState } from "react";

const terminal = new Set<string>(finishedTaskStatuses);

/**
 * The task page: the result first once there is one, then the plan as a graph, the timeline of
 * every attempt, and each step's card (live output, then its details). Everything is drawn from the task as stored first (plan, status, executions, result)
 * and then from its SSE stream, so a page whose stream is slow or blocked still shows the plan
 * and the controls it needs.
 */
export function TaskLive({ task, canExecute, submitter }: { task: TaskView; canExecute: boolean; submitter: string | null }) {
  const { progress, connection } = useTaskProgress(task.id, task.status);

  const streamed = progress.lastSeq > 0;
  const status = streamed ? progress.status : task.status;
  const result = progress.result ?? (task.result as unknown as typeof progress.result);
  const usage = progress.usage ?? (terminal.has(task.status) ? task.usage : undefined);
  const steps = progress.plan.length > 0 ? progress.plan : storedPlanSteps(task.plan);
  const finished = terminal.has(status);
  const agents = withReusedSteps(streamed ? progress.agents : agentsFromExecutions(task.executions), task.executions);
  const anythingRan = Object.values(agents).some((agent) => agent.status !== "waiting" && !agent.reused);
  const totalSteps = progress.totalSteps || steps.length;
  const completedSteps = streamed ? progress.completedSteps : Object.values(agents).filter((agent) => agent.status === "completed").length;
  const finishedAt = progress.finishedAt ?? task.completedAt;
  const storedPlan = task.plan as { source?: string; notes?: string[] } | null;

  // Every attempt seen, stored and live: the stream only knows each step's latest one.
  const storedAttempts = useMemo(() => attemptsFromExecutions(task.executions), [task.executions]);
  const currentAttempts = withLiveAttempts(storedAttempts, agents, finished ? (finishedAt ?? null) : null);
  const [seenAttempts, setSeenAttempts] = useState<readonly StepAttempt[]>(storedAttempts);
  const attempts = rememberAttempts(seenAttempts, currentAttempts);
  if (attempts !== seenAttempts) setSeenAttempts(attempts);
  const [openSteps, setOpenSteps] = useState<ReadonlySet<string>>(new Set());
  const toggleStep = (stepId: string, open: boolean) =>
    setOpenSteps((current) => {
      const next = new Set(current);
      if (open) next.add(stepId);
      else next.delete(stepId);
      return next;
    });

  return (
    <div className="space-y-6">
      <section className="rounded-xl border border-slate-200 bg-white p-5 shadow-sm">
        <div className="flex flex-wrap items-center justify-between gap-2">
          <h1 className="text-lg font-semibold">Task</h1>
          <div className="flex items-center gap-3 text-sm text-slate-600">
            <span aria-live="polite" data-testid="task-status">
              <StatusBadge status={status} />
            </span>
            {!finished ? (
              <span className="text-xs text-slate-500">
                {connection === "live" ? "live" : connection === "reconnecting" ? "reconnecting…" : "connecting…"}
              </span>
            ) : null}
            {!finished && canExecute ? <CancelButton taskId={task.id} /> : null}
          </div>
        </div>
        <p className="mt-2 whitespace-pre-wrap text-slate-800" data-testid="task-prompt">
          {task.prompt}
        </p>
        <dl className="mt-3 grid grid-cols-1 gap-x-6 gap-y-1 text-xs text-slate-600 sm:grid-cols-3" data-testid="task-facts">
          <div className="flex gap-1">
            <dt className="font-medium">Submitted by</dt>
            <dd data-testid="task-submitter">{submitter ?? "unknown"}</dd>
          </div>
          <div className="flex gap-1">
            <dt className="font-medium">Started</dt>
            <dd>{task.startedAt ? <time dateTime={task.startedAt}>{formatUtcTime(task.startedAt)}</time> : "not yet"}</dd>
          </div>
          <div className="flex gap-1">
            <dt className="font-medium">Finished</dt>
            <dd data-testid="task-finished">
              {finished && finishedAt ? <time dateTime={finishedAt}>{formatUtcTime(finishedAt)}</time> : "not yet"}
            </dd>
          </div>
        </dl>
        {task.parentTaskId ? (
          <p className="mt-1 text-xs text-slate-500">
            Rerun of{" "}
            <Link className="text-indigo-700 hover:underline" href={`/tasks/${task.parentTaskId}`}>
              an earlier attempt
            </Link>{" "}
            from step “{task.rerunFromStep}”.
          </p>
        ) : null}
        {task.reruns.length > 0 ? (
          <p className="mt-1 text-xs text-slate-500">
            Reruns:{" "}
            {task.reruns.map((id, index) => (
              <Link key={id} className="mr-2 text-indigo-700 hover:underline" href={`/tasks/${id}`}>
                #{index + 1}
              </Link>
            ))}
          </p>
        ) : null}
        {totalSteps > 0 ? (
          <div className="mt-4">
            <div className="mb-1 flex justify-between text-xs text-slate-500">
              <span>
                {completedSteps} of {totalSteps} steps done
              </span>
              {usage ? (
                <span>
                  {(usage.inputTokens + usage.outputTokens).toLocaleString("en-US")} tokens · {formatCost(usage.costUsd)} ·{" "}
                  {formatDuration(progress.durationMs ?? task.durationMs)}
                </span>
              ) : null}
            </div>
            <div
              className="h-2 overflow-hidden rounded bg-slate-100"
              role="progressbar"
              aria-valuemin={0}
              aria-valuemax={totalSteps}
              aria-valuenow={completedSteps}
              aria-label="Steps completed"
            >
              <div className="h-full bg-indigo-600 transition-all" style={{ width: `${(completedSteps / totalSteps) * 100}%` }} />
            </div>
          </div>
        ) : null}
        {status === "failed" ? (
          <p role="alert" className="mt-3 rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">
            {progress.error ?? task.error ?? "The task failed."}
          </p>
        ) : null}
        {status === "budget_exceeded" ? (
          <p role="alert" className="mt-3 rounded-md bg-orange-50 px-3 py-2 text-sm text-orange-900">
            {progress.error ?? task.error ?? "The task's budget is spent"}.{anythingRan ? " Partial outputs are kept below." : ""}
          </p>
        ) : null}
        {status === "cancelled" ? (
          <p className="mt-3 rounded-md bg-slate-100 px-3 py-2 text-sm text-slate-700">
            {progress.error ?? task.error ?? "Cancelled"}.{anythingRan ? " Partial outputs are kept below." : " No agent ran."}
          </p>
        ) : null}
      </section>

      {result ? <TaskResult taskId={task.id} markdown={result.markdown} /> : null}

      {status === "awaiting_approval" && steps.length > 0 && canExecute ? (
        <ApprovalPanel taskId={task.id} steps={steps} dueAt={task.approvalDueAt} />
      ) : null}

      {steps.length > 0 ? (
        <section aria-labelledby="plan-heading">
          <h2 id="plan-heading" className="mb-2 text-base font-semibold">
            Plan
          </h2>
          <PlanNotice
            source={progress.planSource ?? storedPlan?.source}
            notes={progress.planNotes.length > 0 ? progress.planNotes : (storedPlan?.notes ?? [])}
          />
          <PlanGraph steps={steps} agents={agents} taskFinished={finished} onOpenStep={(stepId) => toggleStep(stepId, true)} />
          {attempts.some((attempt) => attempt.startedAt !== null) ? (
            <section aria-labelledby="timeline-heading" className="mt-4">
              <h2 id="timeline-heading" className="mb-2 text-base font-semibold">
                Timeline
              </h2>
              <TaskTimeline attempts={attempts} />
            </section>
          ) : null}
          <h2 className="mb-2 mt-4 text-base font-semibold">Steps</h2>
          <ol className="grid gap-3 md:grid-cols-2" data-testid="plan">
            {steps.map((step, index) => (
              <AgentCard
                key={step.id}
                index={index + 1}
                step={step}
                agent={agents[step.id]}
                taskFinished={finished}
                taskId={task.id}
                canExecute={canExecute}
                attempts={attempts.filter((attempt) => attempt.stepId === step.id)}
                detailsOpen={openSteps.has(step.id)}
                onToggleDetails={(open) => toggleStep(step.id, open)}
                rerun={
                  finished && canExecute ? { taskId: task.id, reused: stepsARerunReuses(steps, Object.values(agents), step.id) } : undefined
                }
              />
            ))}
          </ol>
        </section>
      ) : status === "queued" || status === "running" ? (
        <p className="text-sm text-slate-500" aria-live="polite">
          The coordinator is planning…
        </p>
      ) : null}
    </div>
  );
}

/** Why the plan is not the planner model's own: what repair changed, or why the default plan was used. */
function PlanNotice({ source, notes }: { source?: string; notes: string[] }) {
  if ((source !== "repaired" && source !== "fallback") || notes.length === 0) return null;
  return (
    <div role="note" data-testid="plan-notice" className="mb-3 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900">
      <p className="font-medium">
        {source === "repaired" ? "The planner's plan was repaired:" : "The planner's plan was unusable, so the default plan runs instead:"}
      </p>
      <ul className="mt-1 list-disc pl-5">
        {notes.map((note) => (
          <li key={note}>{note}</li>
        ))}
      </ul>
    </div>
  );
}

function AgentCard({
  index,
  step,
  agent,
  taskFinished,
  taskId,
  canExecute,
  attempts,
  detailsOpen,
  onToggleDetails,
  rerun,
}: {
  index: number;
  step: PlanStepView;
  agent?: AgentView;
  taskFinished: boolean;
  taskId: string;
  canExecute: boolean;
  attempts: readonly StepAttempt[];
  detailsOpen: boolean;
  onToggleDetails: (open: boolean) => void;
  rerun?: { taskId: string; reused: string[] };
}) {
  const status = agent?.status ?? "waiting";
  const badge = stepBadge(agent, taskFinished);
  // min-w-0: a grid item is as wide as its widest unbreakable line by default, and a tool call's one-line argument widened a phone's page.
  return (
    <li
      id={`step-${step.id}`}
      tabIndex={-1}
      className="min-w-0 scroll-mt-4 rounded-xl border border-slate-200 bg-white p-4 shadow-sm focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
      data-testid={`step-${step.id}`}
      data-step-status={status}
    >
      <div className="flex items-center justify-between gap-2">
        <h3 className="font-medium">
          {index}. <span className="capitalize">{step.agent}</span> <span className="text-xs text-slate-500">({step.id})</span>
        </h3>
        <StatusBadge status={badge} />
      </div>
      <p className="mt-1 text-sm text-slate-700">{step.subtask}</p>
      <p className="mt-1 text-xs text-slate-500">
        Why this agent: {step.reason}
        {step.dependsOn.length > 0 ? ` · after ${step.dependsOn.join(", ")}` : ""}
      </p>
      {agent?.toolCalls?.length ? <ToolCallList taskId={taskId} calls={agent.toolCalls} canDecide={canExecute && !taskFinished} /> : null}
      {agent?.text ? (
        <details className="mt-2" open={status === "running"}>
          <summary className="cursor-pointer text-xs text-slate-600">
            {agent.reused ? "Output, reused from the earlier attempt" : "Output"}
            {agent.cached ? " · answered from the response cache ($0)" : ""}
            {agent.usage && !agent.cached
              ? ` · ${(agent.usage.inputTokens + agent.usage.outputTokens).toLocaleString("en-US")} tokens`
              : ""}
            {agent.attempt > 1 ? ` · attempt ${agent.attempt}` : ""}
          </summary>
          <div className="mt-2 max-h-80 overflow-y-auto rounded bg-slate-50 p-3 text-sm">
            {status === "running" ? <pre className="whitespace-pre-wrap font-sans">{agent.text}</pre> : <Markdown source={agent.text} />}
          </div>
        </details>
      ) : null}
      {agent?.error && agent.status === "failed" ? (
        <p role="alert" className="mt-2 text-sm text-red-700">
          {agent.error}
        </p>
      ) : null}
      <StepDetails taskId={taskId} step={step} attempts={attempts} open={detailsOpen} onToggle={onToggleDetails} />
      {rerun ? <RerunFromStep taskId={rerun.taskId} step={step} reused={rerun.reused} /> : null}
    </li>
  );
}
