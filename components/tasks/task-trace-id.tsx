"use client";

import { useState } from "react";

/**
 * The task's OpenTelemetry trace id (docs/operations.md#tracing), small and copyable, so an
 * operator can paste it into Jaeger or any trace viewer. Shown only for a task created while
 * tracing was on (the page passes nothing otherwise).
 */
export function TaskTraceId({ traceId }: { traceId: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <p className="flex flex-wrap items-center gap-2 text-xs text-slate-600">
      <span>Trace</span>
      <code className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-slate-800 select-all" data-testid="trace-id">
        {traceId}
      </code>
      <button
        type="button"
        className="rounded px-1 text-indigo-700 hover:underline focus-visible:outline-2 focus-visible:outline-indigo-600"
        aria-label={copied ? "Trace id copied" : "Copy the trace id"}
        onClick={() => {
          void navigator.clipboard
            ?.writeText(traceId)
            .then(() => setCopied(true))
            .catch(() => setCopied(false));
        }}
      >
        {copied ? "Copied" : "Copy"}
      </button>
    </p>
  );
}
