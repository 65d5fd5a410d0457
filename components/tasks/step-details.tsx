"use client";

import { StatusBadge } from "@/components/ui/status-badge";
import { formatCost, formatUtcTime } from "@/components/ui/format";
import type { StepAttempt } from "./step-attempts";
import type { PlanStepView } from "./task-progress";
import { formatSpan } from "./timeline-scale";
import { ToolCallList } from "./tool-call-list";
import { usePageClock } from "./use-page-clock";

/**
 * A step's details, under its card on the task page: what it was given (its subtask and the
 * steps whose outputs fed it), the model that answered, and every attempt with its status,
 * timing, tokens, cost, whether the response cache answered it, its error and — for attempts
 * before the current one, whose card already lists its own — the tools it called. Opened from
 * the plan graph (a node links here) or by its own disclosure.
 */
export function StepDetails({
  taskId,
  step,
  attempts,
  open,
  onToggle,
}: {
  taskId: string;
  step: PlanStepView;
  /** This step's attempts, oldest first. */
  attempts: readonly StepAttempt[];
  open: boolean;
  onToggle: (open: boolean) => void;
}) {
  const latest = attempts[attempts.length - 1];
  const subtask = latest?.input?.subtask ?? step.subtask;
  const fedBy = latest?.input?.dependsOn ?? step.dependsOn;
  const tokens = attempts.reduce((sum, attempt) => sum + (attempt.usage ? attempt.usage.inputTokens + attempt.usage.outputTokens : 0), 0);
  const cost = attempts.reduce((sum, attempt) => sum + (attempt.usage?.costUsd ?? 0), 0);
  const models = [...new Set(attempts.flatMap((attempt) => (attempt.modelId ? [attempt.modelId] : [])))];

  return (
    <details
      className="mt-2 rounded-md border border-slate-200 px-3 py-2 text-sm"
      open={open}
      onToggle={(event) => {
        if (event.currentTarget.open !== open) onToggle(event.currentTarget.open);
      }}
      data-testid={`step-details-${step.id}`}
    >
      <summary className="cursor-pointer text-xs font-medium text-slate-700">
        Details: input, model, {attempts.length === 1 ? "1 attempt" : `${attempts.length} attempts`}
      </summary>
      <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-xs">
        <dt className="font-medium text-slate-600">Input</dt>
        <dd className="whitespace-pre-wrap text-slate-800" data-testid="step-input">
          {subtask}
        </dd>
        <dt className="font-medium text-slate-600">Fed by</dt>
        <dd className="text-slate-800" data-testid="step-upstream">
          {fedBy.length === 0
            ? "nothing: it starts first"
            : fedBy.map((id, index) => (
                <span key={id}>
                  {index > 0 ? ", " : ""}
                  <a className="text-indigo-700 hover:underline" href={`#step-${id}`}>
                    {id}
                  </a>
                </span>
              ))}
        </dd>
        <dt className="font-medium text-slate-600">Model</dt>
        <dd className="text-slate-800" data-testid="step-model">
          {models.length > 0 ? models.join(", ") : "—"}
        </dd>
        <dt className="font-medium text-slate-600">Tokens</dt>
        <dd className="tabular-nums text-slate-800" data-testid="step-tokens">
          {tokens.toLocaleString("en-US")}
        </dd>
        <dt className="font-medium text-slate-600">Cost</dt>
        <dd className="tabular-nums text-slate-800" data-testid="step-cost">
          {formatCost(cost)}
        </dd>
      </dl>
      {attempts.length === 0 ? (
        <p className="mt-2 text-xs text-slate-500">Not run yet.</p>
      ) : (
        <>
          <h4 className="mt-3 text-xs font-medium uppercase tracking-wide text-slate-500">Attempts</h4>
          <ol className="mt-1 space-y-2">
            {attempts.map((attempt) => (
              <AttemptRow
                key={attempt.key}
                taskId={taskId}
                attempt={attempt}
                showToolCalls={attempt !== latest && attempt.toolCalls.length > 0}
              />
            ))}
          </ol>
        </>
      )}
    </details>
  );
}

function AttemptRow({ taskId, attempt, showToolCalls }: { taskId: string; attempt: StepAttempt; showToolCalls: boolean }) {
  const nowMs = usePageClock(attempt.startedAt !== null && attempt.completedAt === null);
  const start = attempt.startedAt ? Date.parse(attempt.startedAt) : null;
  const end = attempt.completedAt ? Date.parse(attempt.completedAt) : nowMs;
  const duration = start !== null && end !== null ? Math.max(0, end - start) : null;
  return (
    <li className="rounded border border-slate-200 bg-slate-50 px-2 py-1.5 text-xs" data-testid={`step-attempt-${attempt.attempt}`}>
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
        <span className="font-medium">Attempt {attempt.attempt}</span>
        <StatusBadge status={attempt.status} />
        <span className="text-slate-600">
          started {attempt.startedAt ? <time dateTime={attempt.startedAt}>{formatUtcTime(attempt.startedAt)}</time> : "—"}
        </span>
        <span className="tabular-nums text-slate-600">{duration !== null ? formatSpan(duration) : "—"}</span>
        {attempt.modelId ? <code className="text-slate-700">{attempt.modelId}</code> : null}
        {attempt.usage ? (
          <span className="tabular-nums text-slate-600">
            {attempt.usage.inputTokens.toLocaleString("en-US")} in · {attempt.usage.outputTokens.toLocaleString("en-US")} out ·{" "}
            {formatCost(attempt.usage.costUsd)}
          </span>
        ) : null}
        {attempt.cached ? <span className="text-green-700">answered from the response cache ($0)</span> : null}
      </div>
      {attempt.error ? <p className="mt-1 text-red-700">{attempt.error}</p> : null}
      {showToolCalls ? <ToolCallList taskId={taskId} calls={attempt.toolCalls} canDecide={false} /> : null}
    </li>
  );
}
