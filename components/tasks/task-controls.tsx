"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { formatUtcTime } from "@/components/ui/format";
import { ConfirmAction } from "@/components/ui/confirm-action";
import { isSubmitShortcut, submitFormOnShortcut } from "@/components/ui/submit-shortcut";
import { useTRPC } from "@/components/providers";
import type { PlanStepView } from "./task-progress";
import { ErrorNote } from "@/components/ui/error-note";

/** Approve (as proposed or edited) or reject a plan that waits for a person. */
export function ApprovalPanel({ taskId, steps, dueAt }: { taskId: string; steps: PlanStepView[]; dueAt: string | null }) {
  const trpc = useTRPC();
  const [editing, setEditing] = useState(false);
  const [drafts, setDrafts] = useState<Record<string, string>>({});
  const [reason, setReason] = useState("");
  const approve = useMutation(trpc.task.approve.mutationOptions());
  const reject = useMutation(trpc.task.reject.mutationOptions());
  const busy = approve.isPending || reject.isPending;

  const editedPlan = { steps: steps.map((step) => ({ ...step, subtask: drafts[step.id]?.trim() || step.subtask })) };
  const approvePlan = () => approve.mutate(editing ? { id: taskId, plan: editedPlan } : { id: taskId });
  return (
    <section aria-labelledby="approval-heading" className="rounded-xl border border-amber-300 bg-amber-50 p-5" data-testid="approval-panel">
      <h2 id="approval-heading" className="text-base font-semibold text-amber-900">
        This plan needs your approval
      </h2>
      <p className="mt-1 text-sm text-amber-900">
        No agent runs until someone approves.{dueAt ? ` The request expires ${formatUtcTime(dueAt)}.` : ""}
      </p>
      {editing ? (
        <div className="mt-3 space-y-3">
          {steps.map((step) => (
            <div key={step.id}>
              <label htmlFor={`edit-${step.id}`} className="block text-sm font-medium text-slate-800">
                {step.id} <span className="font-normal text-slate-600">({step.agent})</span>
              </label>
              <textarea
                id={`edit-${step.id}`}
                rows={2}
                defaultValue={step.subtask}
                onChange={(event) => setDrafts((current) => ({ ...current, [step.id]: event.target.value }))}
                onKeyDown={(event) => {
                  // Ctrl/Cmd+Enter approves the edited plan, as the button below does.
                  if (!isSubmitShortcut(event) || busy) return;
                  event.preventDefault();
                  approvePlan();
                }}
                aria-describedby="edit-shortcut"
                className="mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm focus:outline-none focus:ring-2 focus:ring-indigo-500"
              />
            </div>
          ))}
          <p id="edit-shortcut" className="text-xs text-slate-600">
            Ctrl+Enter (⌘+Enter on a Mac) approves the edited plan.
          </p>
        </div>
      ) : null}
      <div className="mt-3 flex flex-wrap items-end gap-2">
        <Button disabled={busy} onClick={approvePlan}>
          {editing ? "Approve edited plan" : "Approve plan"}
        </Button>
        {!editing ? (
          <Button variant="secondary" disabled={busy} onClick={() => setEditing(true)}>
            Edit plan
          </Button>
        ) : null}
        <div className="flex flex-wrap items-end gap-2">
          <div>
            <label htmlFor="reject-reason" className="block text-xs text-slate-700">
              Reason (optional)
            </label>
            <input
              id="reject-reason"
              value={reason}
              onChange={(event) => setReason(event.target.value)}
              maxLength={1000}
              className="mt-1 rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm focus:outline-none focus:ring-2 focus:ring-indigo-500"
            />
          </div>
          <ConfirmAction
            trigger="Reject plan"
            question="Reject this plan?"
            consequence="The task ends cancelled and no agent runs. You can rerun it later from any step."
            confirmLabel="Yes, reject plan"
            keepLabel="Keep the plan"
            disabled={busy}
            onConfirm={() => reject.mutate({ id: taskId, reason: reason.trim() || undefined })}
          />
        </div>
      </div>
      <div className="mt-2">
        <ErrorNote error={approve.error ?? reject.error} />
      </div>
    </section>
  );
}

export function CancelButton({ taskId }: { taskId: string }) {
  const trpc = useTRPC();
  const cancel = useMutation(trpc.task.cancel.mutationOptions());
  return (
    <div className="flex flex-col items-end gap-1">
      <ConfirmAction
        trigger={cancel.isPending ? "Cancelling…" : "Cancel task"}
        question="Cancel this task?"
        consequence="Running agents stop and their model calls end; outputs so far are kept."
        confirmLabel="Yes, cancel task"
        keepLabel="Keep it running"
        disabled={cancel.isPending}
        onConfirm={() => cancel.mutate({ id: taskId })}
      />
      <ErrorNote error={cancel.error} />
    </div>
  );
}

/**
 * Reruns a finished task from one step, optionally with a new instruction for that step.
 * `reused` names the earlier steps whose outputs the rerun carries over (none when they never
 * ran, as after a rejected plan), so the form promises only what the rerun will do.
 */
export function RerunFromStep({ taskId, step, reused }: { taskId: string; step: PlanStepView; reused: string[] }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const [instruction, setInstruction] = useState(step.subtask);
  const rerun = useMutation(trpc.task.rerun.mutationOptions({ onSuccess: (task) => router.push(`/tasks/${task.id}`) }));
  if (!open) {
    return (
      <button type="button" onClick={() => setOpen(true)} className="mt-2 text-xs text-indigo-700 hover:underline">
        Rerun from this step…
      </button>
    );
  }
  return (
    <form
      className="mt-2 space-y-2"
      onSubmit={(event) => {
        event.preventDefault();
        const changed = instruction.trim() && instruction.trim() !== step.subtask ? instruction.trim() : undefined;
        rerun.mutate({ id: taskId, fromStep: step.id, input: changed });
      }}
    >
      <label htmlFor={`rerun-${step.id}`} className="block text-xs font-medium text-slate-700">
        Instruction for {step.id}
      </label>
      <p id={`rerun-${step.id}-reuse`} className="text-xs text-slate-600" data-testid="rerun-reuse">
        {reused.length > 0
          ? `Reuses the output of ${reused.join(", ")}; every other step runs again.`
          : "Every step runs again: no earlier output is reused."}
      </p>
      <textarea
        id={`rerun-${step.id}`}
        rows={2}
        value={instruction}
        onChange={(event) => setInstruction(event.target.value)}
        onKeyDown={submitFormOnShortcut}
        aria-describedby={`rerun-${step.id}-reuse`}
        maxLength={4000}
        className="block w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm focus:outline-none focus:ring-2 focus:ring-indigo-500"
      />
      <div className="flex gap-2">
        <Button type="submit" disabled={rerun.isPending}>
          {rerun.isPending ? "Starting…" : "Rerun"}
        </Button>
        <Button type="button" variant="secondary" onClick={() => setOpen(false)}>
          Close
        </Button>
      </div>
      <ErrorNote error={rerun.error} />
    </form>
  );
}
