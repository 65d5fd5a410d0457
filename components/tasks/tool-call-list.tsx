"use client";

import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { StatusBadge } from "@/components/ui/status-badge";
import { useTRPC } from "@/components/providers";
import type { ToolCallView } from "./task-progress";

/**
 * What an agent looked at: each tool call with its argument in a line (the query, the address),
 * how it ended and how long it took, and a short excerpt of what came back. A call waiting for
 * approval opens with its full input and, for members who may run tasks, approve / edit / deny.
 */
export function ToolCallList({ taskId, calls, canDecide }: { taskId: string; calls: readonly ToolCallView[]; canDecide: boolean }) {
  return (
    <div className="mt-2" data-testid="tool-calls">
      <h4 className="text-xs font-medium uppercase tracking-wide text-slate-500">Tools used</h4>
      <ul className="mt-1 space-y-1">
        {calls.map((call) => (
          <li
            key={call.callId}
            className={`rounded border px-2 py-1 text-xs ${call.status === "awaiting_approval" ? "border-amber-300 bg-amber-50" : "border-slate-200 bg-slate-50"}`}
            data-tool={call.tool}
            data-call-status={call.status}
          >
            <details open={call.status === "awaiting_approval"}>
              <summary className="flex cursor-pointer flex-wrap items-center gap-2">
                <code className="font-semibold text-slate-800">{call.tool}</code>
                <span className="min-w-0 flex-1 truncate text-slate-700" title={argumentLine(call.input)}>
                  {argumentLine(call.input)}
                </span>
                <StatusBadge status={call.status} />
                {call.durationMs !== undefined ? <span className="text-slate-500">{formatMs(call.durationMs)}</span> : null}
              </summary>
              {call.status === "awaiting_approval" ? <ToolCallDecision taskId={taskId} call={call} canDecide={canDecide} /> : null}
              {call.reason && call.status === "denied" ? <p className="mt-1 text-slate-700">Denied: {call.reason}</p> : null}
              {call.error ? <p className="mt-1 text-red-700">{call.error}</p> : null}
              {call.excerpt ? (
                <pre className="mt-1 max-h-40 overflow-y-auto whitespace-pre-wrap font-sans text-slate-700">{call.excerpt}</pre>
              ) : null}
            </details>
          </li>
        ))}
      </ul>
    </div>
  );
}

function ToolCallDecision({ taskId, call, canDecide }: { taskId: string; call: ToolCallView; canDecide: boolean }) {
  const trpc = useTRPC();
  const approve = useMutation(trpc.task.approveToolCall.mutationOptions());
  const deny = useMutation(trpc.task.denyToolCall.mutationOptions());
  const [draft, setDraft] = useState(() => JSON.stringify(call.input ?? {}, null, 2));
  const [reason, setReason] = useState("");
  const [parseError, setParseError] = useState<string | null>(null);
  const busy = approve.isPending || deny.isPending;
  const inputId = `tool-input-${call.callId}`;
  const reasonId = `tool-reason-${call.callId}`;
  if (!canDecide) return <p className="mt-1 text-amber-900">Waiting for a member who may run tasks to approve or deny this call.</p>;

  const submitApproval = () => {
    let edited: Record<string, unknown> | undefined;
    try {
      const parsed: unknown = JSON.parse(draft);
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not an object");
      edited = JSON.stringify(parsed) === JSON.stringify(call.input ?? {}) ? undefined : (parsed as Record<string, unknown>);
    } catch {
      setParseError("The input must be a JSON object.");
      return;
    }
    setParseError(null);
    approve.mutate({ id: taskId, callId: call.callId, ...(edited ? { input: edited } : {}) });
  };

  return (
    <div className="mt-2 space-y-2" data-testid="tool-call-decision">
      <p className="text-amber-900">The agent is waiting for approval to make this call.</p>
      <label htmlFor={inputId} className="block font-medium text-slate-800">
        Input (edit before approving if needed)
      </label>
      <textarea
        id={inputId}
        rows={Math.min(8, draft.split("\n").length + 1)}
        value={draft}
        onChange={(event) => setDraft(event.target.value)}
        className="block w-full rounded-md border border-slate-300 bg-white px-2 py-1 font-mono text-xs focus:outline-none focus:ring-2 focus:ring-indigo-500"
      />
      <div className="flex flex-wrap items-end gap-2">
        <Button disabled={busy} onClick={submitApproval}>
          Approve call
        </Button>
        <div>
          <label htmlFor={reasonId} className="block text-slate-700">
            Reason (optional)
          </label>
          <input
            id={reasonId}
            value={reason}
            maxLength={1000}
            onChange={(event) => setReason(event.target.value)}
            className="mt-1 rounded-md border border-slate-300 bg-white px-2 py-1 text-xs focus:outline-none focus:ring-2 focus:ring-indigo-500"
          />
        </div>
        <Button
          variant="secondary"
          disabled={busy}
          onClick={() => deny.mutate({ id: taskId, callId: call.callId, reason: reason.trim() || undefined })}
        >
          Deny call
        </Button>
      </div>
      {parseError || approve.error || deny.error ? (
        <p role="alert" className="rounded-md bg-red-50 px-2 py-1 text-red-800">
          {parseError ?? approve.error?.message ?? deny.error?.message}
        </p>
      ) : null}
    </div>
  );
}

/** The call's argument as one line: a lone string field (query, url) as itself, anything else as JSON. */
function argumentLine(input: unknown): string {
  if (typeof input === "string") return input;
  if (input && typeof input === "object") {
    const values = Object.values(input as Record<string, unknown>);
    if (values.length === 1 && typeof values[0] === "string") return values[0];
  }
  return JSON.stringify(input ?? {});
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}
