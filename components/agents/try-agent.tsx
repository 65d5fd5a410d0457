"use client";

import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { useId, useState } from "react";
import { Button } from "@/components/ui/button";
import { Markdown } from "@/components/ui/markdown";
import { StatusBadge } from "@/components/ui/status-badge";
import { useTRPC } from "@/components/providers";
import { useTaskProgress } from "@/components/tasks/use-task-progress";
import { finishedTaskStatuses } from "@/server/domain/task-vocabulary";

const MAX_PROMPT = 4000;

/**
 * "Try it": runs this agent alone on a prompt — a real task with a one-step plan, so it is
 * stored, costed and listed like any other — and streams its output here from the task's event
 * stream (the same hook as the task page), with a link to the full task.
 */
export function TryAgent({ kind }: { kind: string }) {
  const trpc = useTRPC();
  const id = useId();
  const [prompt, setPrompt] = useState("");
  const [taskId, setTaskId] = useState<string | undefined>();
  const run = useMutation(trpc.agent.try.mutationOptions({ onSuccess: (task) => setTaskId(task.id) }));
  const tooLong = prompt.length > MAX_PROMPT;

  return (
    <div className="space-y-3">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (!prompt.trim() || tooLong) return;
          setTaskId(undefined);
          run.mutate({ kind, prompt });
        }}
        className="space-y-2"
      >
        <label htmlFor={`${id}-prompt`} className="block text-sm font-medium text-slate-700">
          Prompt
        </label>
        <textarea
          id={`${id}-prompt`}
          rows={3}
          value={prompt}
          onChange={(event) => setPrompt(event.target.value)}
          aria-describedby={`${id}-help`}
          aria-invalid={tooLong}
          className="block w-full rounded-md border border-slate-300 px-3 py-2 shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500"
          placeholder="What should this agent do?"
        />
        <div id={`${id}-help`} className="flex flex-wrap items-center justify-between gap-2 text-xs text-slate-500">
          <span>Runs this agent alone (no planner), as a task of your team: it uses your model budget.</span>
          <span className={tooLong ? "font-medium text-red-700" : ""}>
            {prompt.length.toLocaleString()} / {MAX_PROMPT.toLocaleString()}
          </span>
        </div>
        {run.error ? (
          <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">
            {run.error.message}
          </p>
        ) : null}
        <Button type="submit" disabled={run.isPending || !prompt.trim() || tooLong}>
          {run.isPending ? "Starting…" : "Run"}
        </Button>
      </form>
      {taskId ? <TryOutput key={taskId} taskId={taskId} kind={kind} /> : null}
    </div>
  );
}

function TryOutput({ taskId, kind }: { taskId: string; kind: string }) {
  const { progress } = useTaskProgress(taskId, "queued");
  // The one step is named after the agent's kind.
  const agent = progress.agents[kind];
  const text = progress.result?.markdown ?? agent?.text ?? "";
  const finished = progress.result !== undefined || (finishedTaskStatuses as readonly string[]).includes(progress.status);
  return (
    <section aria-label="Output" className="rounded-md border border-slate-200 bg-slate-50 p-3" data-testid="try-output">
      <div className="mb-2 flex flex-wrap items-center justify-between gap-2 text-sm">
        <span aria-live="polite">
          <StatusBadge status={progress.status} />
        </span>
        <Link href={`/tasks/${taskId}`} className="text-indigo-700 hover:underline">
          Open the full task →
        </Link>
      </div>
      {progress.error ? (
        <p role="alert" className="text-sm text-red-800">
          {progress.error}
        </p>
      ) : null}
      {text ? (
        finished ? (
          <Markdown source={text} />
        ) : (
          <pre className="whitespace-pre-wrap font-sans text-sm" aria-busy="true">
            {text}
          </pre>
        )
      ) : finished ? null : (
        <p className="text-sm text-slate-500">Starting…</p>
      )}
    </section>
  );
}
