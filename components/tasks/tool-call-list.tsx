import { StatusBadge } from "@/components/ui/status-badge";
import type { ToolCallView } from "./task-progress";

/**
 * What an agent looked at: each tool call with its argument in a line (the query, the address),
 * how it ended and how long it took, and a short excerpt of what came back.
 */
export function ToolCallList({ calls }: { calls: readonly ToolCallView[] }) {
  return (
    <div className="mt-2" data-testid="tool-calls">
      <h4 className="text-xs font-medium uppercase tracking-wide text-slate-500">Tools used</h4>
      <ul className="mt-1 space-y-1">
        {calls.map((call) => (
          <li key={call.callId} className="rounded border border-slate-200 bg-slate-50 px-2 py-1 text-xs" data-tool={call.tool}>
            <details>
              <summary className="flex cursor-pointer flex-wrap items-center gap-2">
                <code className="font-semibold text-slate-800">{call.tool}</code>
                <span className="min-w-0 flex-1 truncate text-slate-700" title={argumentLine(call.input)}>
                  {argumentLine(call.input)}
                </span>
                <StatusBadge status={call.status} />
                {call.durationMs !== undefined ? <span className="text-slate-500">{formatMs(call.durationMs)}</span> : null}
              </summary>
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
