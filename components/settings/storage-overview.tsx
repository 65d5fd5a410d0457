import { formatBytes, formatUtcTime } from "@/components/ui/format";
import type { TeamStorageView } from "@/server/teams/team-storage";

/** Names people know for the tables measured. */
const tableLabels: Record<string, string> = {
  Task: "Tasks",
  AgentExecution: "Agent executions",
  RunEvent: "Run events (task logs)",
  ToolCall: "Tool calls",
  ModelCall: "Model calls",
  LlmCacheEntry: "Response cache",
  KnowledgeDocument: "Knowledge documents",
  KnowledgeChunk: "Knowledge chunks",
  AuditEvent: "Audit events",
  WebhookDelivery: "Webhook deliveries",
  WebhookAttempt: "Webhook attempts",
};

const prunedLabels: Record<string, string> = {
  runEvents: "run events",
  workflowRuns: "finished engine runs",
  webhookDeliveries: "webhook deliveries",
  auditEvents: "audit events",
};

const days = (count: number) => (count === 0 ? "not kept once finished" : `${count} day${count === 1 ? "" : "s"}`);

/** Settings → Data: the team's size by table, the database's size, the retention in effect and the last prune. */
export function StorageOverview({ storage }: { storage: TeamStorageView }) {
  const pruned = storage.lastPrune ? Object.entries(storage.lastPrune.pruned).filter(([, rows]) => rows > 0) : [];
  return (
    <div className="space-y-6">
      <dl className="grid grid-cols-1 gap-3 sm:grid-cols-2" data-testid="storage-totals">
        <div className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm">
          <dt className="text-xs font-medium uppercase text-slate-500">This team</dt>
          <dd className="mt-1 text-2xl font-semibold" data-testid="storage-team-bytes">
            {formatBytes(storage.teamBytes)}
          </dd>
          <dd className="text-xs text-slate-600">estimated, its rows without indexes</dd>
        </div>
        <div className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm">
          <dt className="text-xs font-medium uppercase text-slate-500">Whole database</dt>
          <dd className="mt-1 text-2xl font-semibold" data-testid="storage-database-bytes">
            {formatBytes(storage.databaseBytes)}
          </dd>
          <dd className="text-xs text-slate-600">every team, indexes and the engine&apos;s state</dd>
        </div>
      </dl>

      <div
        tabIndex={0}
        role="region"
        aria-label="Storage by table"
        className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
      >
        <table className="w-full text-left text-sm" data-testid="storage-tables">
          <caption className="px-3 pt-3 text-left text-xs text-slate-600">
            Measured at {formatUtcTime(storage.measuredAt)} (at most once a minute).
          </caption>
          <thead className="bg-slate-50 text-xs uppercase text-slate-500">
            <tr>
              <th scope="col" className="px-3 py-2">
                What
              </th>
              <th scope="col" className="px-3 py-2 text-right">
                Rows
              </th>
              <th scope="col" className="px-3 py-2 text-right">
                Team&apos;s size
              </th>
              <th scope="col" className="px-3 py-2 text-right">
                Table, all teams
              </th>
            </tr>
          </thead>
          <tbody>
            {storage.tables.map((table) => (
              <tr key={table.table} className="border-t border-slate-100" data-testid={`storage-row-${table.table}`}>
                <th scope="row" className="px-3 py-2 font-normal">
                  {tableLabels[table.table] ?? table.table}
                </th>
                <td className="px-3 py-2 text-right tabular-nums">{table.rows.toLocaleString("en-US")}</td>
                <td className="px-3 py-2 text-right tabular-nums">{formatBytes(table.bytes)}</td>
                <td className="px-3 py-2 text-right tabular-nums text-slate-600">{formatBytes(table.tableBytes)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <section aria-labelledby="retention-heading" className="space-y-2">
        <h3 id="retention-heading" className="text-base font-semibold">
          Retention
        </h3>
        <p className="text-sm text-slate-600">Set by the server&apos;s operator (docs/operations.md); the same for every team.</p>
        <dl className="grid grid-cols-1 gap-x-6 gap-y-1 text-sm sm:grid-cols-2" data-testid="storage-retention">
          <div className="flex justify-between gap-2">
            <dt>Run events of a finished task</dt>
            <dd className="tabular-nums">{days(storage.retention.runEventDays)}</dd>
          </div>
          <div className="flex justify-between gap-2">
            <dt>Engine state of a finished run</dt>
            <dd className="tabular-nums">{days(storage.retention.workflowStateDays)}</dd>
          </div>
          <div className="flex justify-between gap-2">
            <dt>Finished webhook deliveries</dt>
            <dd className="tabular-nums">{days(storage.retention.webhookDeliveryDays)}</dd>
          </div>
          <div className="flex justify-between gap-2">
            <dt>Audit events</dt>
            <dd className="tabular-nums">{days(storage.retention.auditEventDays)}</dd>
          </div>
        </dl>
        <p className="text-sm text-slate-700" data-testid="storage-last-prune">
          {storage.lastPrune
            ? `Old rows were last pruned at ${formatUtcTime(storage.lastPrune.finishedAt)}: ${
                pruned.length > 0
                  ? pruned.map(([kind, rows]) => `${rows.toLocaleString("en-US")} ${prunedLabels[kind] ?? kind}`).join(", ")
                  : "nothing was old enough"
              }.`
            : "Old rows have not been pruned yet: the first prune runs a minute after the server starts, then hourly."}
        </p>
      </section>
    </div>
  );
}
