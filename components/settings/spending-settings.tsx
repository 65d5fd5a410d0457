"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { formatCost } from "@/components/ui/format";
import { useTRPC } from "@/components/providers";
import { SavedNote } from "@/components/settings/saved-note";

/** The spending settings forms: read-only for members who may not change them (the server checks again). */

export function MonthlyBudgetForm({
  monthlyBudgetUsd,
  spentThisMonthUsd,
  month,
  canManage,
}: {
  monthlyBudgetUsd: number | null;
  spentThisMonthUsd: number;
  month: string;
  canManage: boolean;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const [value, setValue] = useState(monthlyBudgetUsd === null ? "" : String(monthlyBudgetUsd));
  const save = useMutation(trpc.settings.updateBudget.mutationOptions({ onSuccess: () => router.refresh() }));
  const share = monthlyBudgetUsd ? Math.min(1, spentThisMonthUsd / monthlyBudgetUsd) : 0;
  return (
    <form
      // The server's answer names what is wrong ("monthlyBudgetUsd must be more than 0"); the browser's own bubble would not.
      noValidate
      className="space-y-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm"
      onSubmit={(event) => {
        event.preventDefault();
        const trimmed = value.trim();
        save.mutate({ monthlyBudgetUsd: trimmed === "" ? null : Number(trimmed) });
      }}
    >
      <p className="text-sm" data-testid="budget-spent">
        Spent in {month}: <strong>{formatCost(spentThisMonthUsd)}</strong>
        {monthlyBudgetUsd !== null ? ` of ${formatCost(monthlyBudgetUsd)} (${Math.round(share * 100)}%)` : " — no monthly budget"}
      </p>
      {monthlyBudgetUsd !== null ? (
        <div
          className="h-2 overflow-hidden rounded bg-slate-100"
          role="progressbar"
          aria-label="Share of the monthly budget spent"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={Math.round(share * 100)}
        >
          <div className={`h-full ${share >= 0.8 ? "bg-amber-500" : "bg-indigo-600"}`} style={{ width: `${share * 100}%` }} />
        </div>
      ) : null}
      <label className="block text-sm">
        <span className="font-medium">Monthly budget (US$)</span>
        <span className="block text-slate-600">Empty for no budget.</span>
        <input
          type="number"
          inputMode="decimal"
          min="0"
          step="any"
          name="monthlyBudgetUsd"
          className="mt-1 w-48 rounded-md border border-slate-300 px-3 py-2"
          value={value}
          disabled={!canManage}
          onChange={(event) => setValue(event.target.value)}
        />
      </label>
      {canManage ? (
        <div className="flex items-center gap-3">
          <Button type="submit" disabled={save.isPending}>
            {save.isPending ? "Saving…" : "Save budget"}
          </Button>
          <SavedNote saved={save.isSuccess} error={save.error} />
        </div>
      ) : (
        <p className="text-sm text-slate-500">Only admins can change this.</p>
      )}
    </form>
  );
}

export function ResponseCacheForm({ enabled, canManage }: { enabled: boolean; canManage: boolean }) {
  const trpc = useTRPC();
  const [on, setOn] = useState(enabled);
  const save = useMutation(trpc.settings.updateModelCache.mutationOptions());
  return (
    <form
      className="space-y-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm"
      onSubmit={(event) => {
        event.preventDefault();
        save.mutate({ enabled: on });
      }}
    >
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" checked={on} disabled={!canManage} onChange={(event) => setOn(event.target.checked)} />
        <span className="font-medium">Answer identical model calls from the cache</span>
      </label>
      {canManage ? (
        <div className="flex items-center gap-3">
          <Button type="submit" disabled={save.isPending}>
            {save.isPending ? "Saving…" : "Save cache setting"}
          </Button>
          <SavedNote saved={save.isSuccess} error={save.error} />
        </div>
      ) : (
        <p className="text-sm text-slate-500">Only admins can change this.</p>
      )}
    </form>
  );
}
