"use client";

import { useInfiniteQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC } from "@/components/providers";
import { Button } from "@/components/ui/button";
import { auditActionNames, auditActions } from "@/server/domain/audit-actions";
import type { AuditEventView } from "@/server/teams/audit-log";

/**
 * Settings → Audit log: the filters (who, what, to what, when), the team's events a page at a
 * time with "Load more", and the export of what the filters select as CSV or JSON Lines (a plain
 * link to the REST export, which the browser downloads with the session cookie).
 */

interface Filters {
  actor?: string;
  action?: string;
  targetType?: string;
  targetId?: string;
  from?: string;
  to?: string;
}

/** The areas (`task.`, `settings.`, …) and every action, for the action filter's suggestions. */
const actionSuggestions = [...new Set(auditActionNames.map((name) => `${name.split(".")[0]}.`)), ...auditActionNames];

const inputClass = "mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm";

function filtersFrom(form: FormData): Filters {
  const filters: Filters = {};
  for (const name of ["actor", "action", "targetType", "targetId", "from", "to"] as const) {
    const value = String(form.get(name) ?? "").trim();
    if (value) filters[name] = value;
  }
  return filters;
}

function exportHref(format: "csv" | "jsonl", filters: Filters): string {
  return `/api/v1/audit/export?${new URLSearchParams({ format, ...filters }).toString()}`;
}

export function AuditLog() {
  const trpc = useTRPC();
  const [filters, setFilters] = useState<Filters>({});
  const query = useInfiniteQuery(
    trpc.audit.list.infiniteQueryOptions({ ...filters, limit: 50 }, { getNextPageParam: (page) => page.nextCursor ?? undefined }),
  );
  const events = query.data?.pages.flatMap((page) => page.events) ?? [];

  const apply = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setFilters(filtersFrom(new FormData(event.currentTarget)));
  };

  return (
    <div className="space-y-4">
      <form onSubmit={apply} className="grid gap-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm sm:grid-cols-2 lg:grid-cols-3">
        <label className="text-sm">
          Actor
          <input name="actor" className={inputClass} placeholder="email, user or key id, cli" />
        </label>
        <label className="text-sm">
          Action
          <input name="action" list="audit-actions" className={inputClass} placeholder="task. or settings.budget_updated" />
          <datalist id="audit-actions">
            {actionSuggestions.map((name) => (
              <option key={name} value={name} />
            ))}
          </datalist>
        </label>
        <label className="text-sm">
          Target type
          <input name="targetType" className={inputClass} placeholder="task, agent, team…" />
        </label>
        <label className="text-sm">
          Target id
          <input name="targetId" className={inputClass} />
        </label>
        <label className="text-sm">
          From
          <input name="from" type="date" className={inputClass} />
        </label>
        <label className="text-sm">
          To (inclusive)
          <input name="to" type="date" className={inputClass} />
        </label>
        <div className="flex flex-wrap items-center gap-3 sm:col-span-2 lg:col-span-3">
          <Button type="submit">Apply filters</Button>
          <Button type="reset" variant="secondary" onClick={() => setFilters({})}>
            Clear
          </Button>
          <span className="text-sm text-slate-600">
            Export:{" "}
            <a className="text-indigo-700 hover:underline" href={exportHref("csv", filters)} download>
              CSV
            </a>{" "}
            ·{" "}
            <a className="text-indigo-700 hover:underline" href={exportHref("jsonl", filters)} download>
              JSON Lines
            </a>
          </span>
        </div>
      </form>

      {query.error ? (
        <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">
          Could not load the audit log: {query.error.message}
        </p>
      ) : query.isPending ? (
        <p role="status" className="text-sm text-slate-500">
          Loading…
        </p>
      ) : events.length === 0 ? (
        <p className="rounded-md border border-dashed border-slate-300 px-4 py-8 text-center text-sm text-slate-500">
          No events {Object.keys(filters).length > 0 ? "match these filters" : "yet"}.
        </p>
      ) : (
        // Focusable, so keyboard users can scroll a table wider than the screen.
        <div
          tabIndex={0}
          role="region"
          aria-label="Audit events"
          className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
        >
          <table className="w-full text-left text-sm" data-testid="audit-log">
            <thead className="bg-slate-50 text-xs uppercase text-slate-500">
              <tr>
                {["When (UTC)", "Actor", "Action", "Target", "Details", "From"].map((column) => (
                  <th key={column} scope="col" className="px-3 py-2">
                    {column}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {events.map((event) => (
                <AuditRow key={event.id} event={event} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {query.hasNextPage ? (
        <Button variant="secondary" onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage}>
          {query.isFetchingNextPage ? "Loading…" : "Load more"}
        </Button>
      ) : null}
    </div>
  );
}

function AuditRow({ event }: { event: AuditEventView }) {
  const described = (auditActions as Record<string, string>)[event.action];
  return (
    <tr className="border-t border-slate-100 align-top">
      <td className="whitespace-nowrap px-3 py-2 text-slate-600">{event.createdAt.replace("T", " ").slice(0, 19)}</td>
      <td className="px-3 py-2">
        {event.actor.name ?? event.actor.id ?? event.actor.type}
        {event.actor.type !== "user" ? <span className="block text-xs text-slate-500">{event.actor.type.replace("_", " ")}</span> : null}
      </td>
      <td className="px-3 py-2">
        <code className="text-xs">{event.action}</code>
        {described ? <span className="block text-xs text-slate-500">{described}</span> : null}
      </td>
      <td className="px-3 py-2 text-xs">{event.target ? `${event.target.type} ${event.target.id ?? ""}` : "—"}</td>
      <td className="max-w-xs px-3 py-2">
        <code className="break-words text-xs text-slate-700">{JSON.stringify(event.details)}</code>
      </td>
      <td className="px-3 py-2 text-xs text-slate-600" title={event.userAgent ?? undefined}>
        {event.ipAddress ?? "—"}
      </td>
    </tr>
  );
}
