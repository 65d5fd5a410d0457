"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { useTRPC } from "@/components/providers";
import { submitFormOnShortcut } from "@/components/ui/submit-shortcut";

const MAX_PROMPT = 20_000;
const examples = [
  "Compare the market for home solar batteries in Germany and Spain, and recommend where to launch first.",
  "Research the main approaches to durable workflow execution and summarise their trade-offs for a small team.",
];

export function NewTaskForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const [prompt, setPrompt] = useState("");
  const [requireApproval, setRequireApproval] = useState(false);
  const [useCache, setUseCache] = useState(true);
  // Optional hard budgets, as typed: empty means none; the server answers a bad value naming the field.
  const [maxCostUsd, setMaxCostUsd] = useState("");
  const [maxTokens, setMaxTokens] = useState("");
  const create = useMutation(trpc.task.create.mutationOptions({ onSuccess: (task) => router.push(`/tasks/${task.id}`) }));
  const tooLong = prompt.length > MAX_PROMPT;

  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        if (!prompt.trim() || tooLong) return;
        create.mutate({
          prompt,
          requireApproval,
          cache: useCache,
          ...(maxCostUsd.trim() ? { maxCostUsd: Number(maxCostUsd) } : {}),
          ...(maxTokens.trim() ? { maxTokens: Number(maxTokens) } : {}),
        });
      }}
      className="space-y-3"
    >
      <label htmlFor="prompt" className="block text-sm font-medium text-slate-700">
        What should the agents work on?
      </label>
      <textarea
        id="prompt"
        name="prompt"
        rows={4}
        value={prompt}
        onChange={(event) => setPrompt(event.target.value)}
        onKeyDown={submitFormOnShortcut}
        placeholder={examples[0]}
        aria-describedby="prompt-help"
        aria-invalid={tooLong}
        className="block w-full rounded-md border border-slate-300 px-3 py-2 shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500"
      />
      <div id="prompt-help" className="flex flex-wrap items-center justify-between gap-2 text-xs text-slate-500">
        <span>
          A coordinator plans the work, hands steps to research, analysis and synthesis agents, and combines their results. Ctrl+Enter
          (⌘+Enter) submits.
        </span>
        <span className={tooLong ? "font-medium text-red-700" : ""}>
          {prompt.length.toLocaleString("en-US")} / {MAX_PROMPT.toLocaleString("en-US")}
        </span>
      </div>
      <label className="flex items-center gap-2 text-sm text-slate-700">
        <input
          type="checkbox"
          checked={requireApproval}
          onChange={(event) => setRequireApproval(event.target.checked)}
          className="h-4 w-4 rounded border-slate-300"
        />
        Let me approve the plan before any agent runs
      </label>
      <label className="flex items-center gap-2 text-sm text-slate-700">
        <input
          type="checkbox"
          checked={useCache}
          onChange={(event) => setUseCache(event.target.checked)}
          className="h-4 w-4 rounded border-slate-300"
        />
        Use cached model answers
      </label>
      <fieldset className="flex flex-wrap gap-4 text-sm text-slate-700">
        <legend className="sr-only">Budget (optional)</legend>
        <label className="flex items-center gap-2">
          Budget, US$
          <input
            type="number"
            name="maxCostUsd"
            min="0.01"
            step="0.01"
            inputMode="decimal"
            value={maxCostUsd}
            onChange={(event) => setMaxCostUsd(event.target.value)}
            placeholder="none"
            className="w-28 rounded-md border border-slate-300 px-2 py-1"
          />
        </label>
        <label className="flex items-center gap-2">
          Max tokens
          <input
            type="number"
            name="maxTokens"
            min="1"
            step="1"
            inputMode="numeric"
            value={maxTokens}
            onChange={(event) => setMaxTokens(event.target.value)}
            placeholder="none"
            className="w-32 rounded-md border border-slate-300 px-2 py-1"
          />
        </label>
      </fieldset>
      {create.error ? (
        <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">
          {create.error.message}
        </p>
      ) : null}
      <div className="flex flex-wrap gap-2">
        <Button type="submit" disabled={create.isPending || !prompt.trim() || tooLong}>
          {create.isPending ? "Submitting…" : "Run task"}
        </Button>
        {examples.map((example, index) => (
          <Button key={example} type="button" variant="secondary" onClick={() => setPrompt(example)}>
            Example {index + 1}
          </Button>
        ))}
      </div>
    </form>
  );
}
