"use client";

import Link from "next/link";
import { useState } from "react";
import { formatCost } from "@/components/ui/format";
import type { ComparisonView } from "@/server/evals/eval-schemas";
import { deltaToneClass, formatDelta, formatScore, promptExcerpt } from "./eval-format";
import { diffSummary, outputDiff } from "./output-diff";

/**
 * The compare page's cases, in the server's order (regressions first, largest drop first): each
 * line says score a → b, the change and what kind; opening one diffs the two outputs word by
 * word. The diff is computed only for opened cases, so a long dataset doesn't diff every output
 * on load.
 */

type ComparedCase = ComparisonView["cases"][number];

const changeLabel: Record<ComparedCase["change"], string> = {
  regressed: "regressed",
  improved: "improved",
  unchanged: "unchanged",
  added: "only in b",
  removed: "only in a",
};
const changeClass: Record<ComparedCase["change"], string> = {
  regressed: "bg-red-100 text-red-800",
  improved: "bg-green-100 text-green-800",
  unchanged: "bg-slate-100 text-slate-700",
  added: "bg-blue-100 text-blue-800",
  removed: "bg-slate-200 text-slate-700",
};

export function ComparedCases({ cases }: { cases: readonly ComparedCase[] }) {
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const toggle = (key: string) =>
    setOpen((current) => {
      const next = new Set(current);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });
  return (
    <section aria-labelledby="compared-cases-heading" className="space-y-2">
      <h2 id="compared-cases-heading" className="text-sm font-semibold text-slate-800">
        Cases, regressions first
      </h2>
      {cases.length === 0 ? <p className="text-sm text-slate-500">Neither experiment has cases.</p> : null}
      <ul className="space-y-2" data-testid="compared-cases">
        {cases.map((one) => {
          const expanded = open.has(one.caseKey);
          const panelId = `compared-${one.caseKey}`;
          const delta = formatDelta(one.delta, { kind: "score", epsilon: 0.005 });
          return (
            <li
              key={one.caseKey}
              className="rounded-xl border border-slate-200 bg-white p-3 shadow-sm"
              data-case={one.caseKey}
              data-change={one.change}
            >
              <button
                type="button"
                aria-expanded={expanded}
                aria-controls={panelId}
                onClick={() => toggle(one.caseKey)}
                className="flex w-full flex-wrap items-center gap-x-3 gap-y-1 text-left text-sm focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
              >
                <span aria-hidden>{expanded ? "▾" : "▸"}</span>
                <span className="font-mono text-xs">{one.caseKey}</span>
                <span className={`rounded-full px-2 py-0.5 text-xs font-medium ${changeClass[one.change]}`}>{changeLabel[one.change]}</span>
                <span className="tabular-nums">
                  {formatScore(one.a?.score)} → {formatScore(one.b?.score)}
                </span>
                <span className={`tabular-nums ${deltaToneClass[delta.tone]}`}>{delta.text}</span>
                <span className="min-w-0 basis-full truncate text-slate-600 sm:basis-auto">{promptExcerpt(one.prompt, 70)}</span>
              </button>
              {expanded ? (
                <div id={panelId} className="mt-3">
                  <CaseOutputs one={one} />
                </div>
              ) : null}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function CaseOutputs({ one }: { one: ComparedCase }) {
  const { segments, cut } = outputDiff(one.a?.output ?? null, one.b?.output ?? null);
  return (
    <div className="space-y-2 text-sm" data-testid="case-diff">
      <p className="whitespace-pre-wrap break-words text-slate-800">{one.prompt}</p>
      <p className="flex flex-wrap gap-x-4 text-xs text-slate-600">
        {(["a", "b"] as const).map((side) => {
          const result = one[side];
          return (
            <span key={side}>
              {side === "a" ? "Baseline" : "Candidate"}:{" "}
              {result ? (
                <>
                  {result.status} · {formatCost(result.costUsd)}
                  {result.taskId ? (
                    <>
                      {" "}
                      ·{" "}
                      <Link href={`/tasks/${result.taskId}`} className="text-indigo-700 underline">
                        task<span className="sr-only"> of the {side === "a" ? "baseline" : "candidate"}</span>
                      </Link>
                    </>
                  ) : null}
                </>
              ) : (
                "not in this experiment"
              )}
            </span>
          );
        })}
      </p>
      <p className="text-xs text-slate-600">
        Output, a → b: {diffSummary(segments)} Removed words are struck through, added words underlined.
        {cut ? " Only the first 20,000 characters of each are compared." : ""}
      </p>
      <div className="max-h-96 overflow-auto whitespace-pre-wrap break-words rounded-md border border-slate-200 bg-white p-2 text-xs text-slate-800">
        {segments.map((segment, index) =>
          segment.kind === "added" ? (
            // Screen readers mostly don't announce <ins>/<del>: the hidden words say what changed.
            <ins key={index} className="bg-green-100 text-green-900">
              <span className="sr-only">[added: </span>
              {segment.text}
              <span className="sr-only">]</span>
            </ins>
          ) : segment.kind === "removed" ? (
            <del key={index} className="bg-red-100 text-red-900">
              <span className="sr-only">[removed: </span>
              {segment.text}
              <span className="sr-only">]</span>
            </del>
          ) : (
            <span key={index}>{segment.text}</span>
          ),
        )}
      </div>
    </div>
  );
}
