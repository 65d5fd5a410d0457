"use client";

import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { useTRPC } from "@/components/providers";
import { SavedNote } from "@/components/settings/saved-note";

/** The tool settings forms: read-only for members who may not change them (the server checks again). */

export function ToolApprovalsForm({
  available,
  selected,
  canManage,
}: {
  available: Array<{ name: string; label: string; description: string }>;
  selected: string[];
  canManage: boolean;
}) {
  const trpc = useTRPC();
  const [tools, setTools] = useState(new Set(selected));
  const save = useMutation(trpc.settings.updateToolApprovals.mutationOptions());
  return (
    <form
      className="space-y-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm"
      onSubmit={(event) => {
        event.preventDefault();
        save.mutate({ tools: [...tools] });
      }}
    >
      <fieldset disabled={!canManage} className="space-y-2">
        <legend className="sr-only">Tools that need approval</legend>
        {available.map((tool) => (
          <label key={tool.name} className="flex items-start gap-2 text-sm">
            <input
              type="checkbox"
              className="mt-1"
              checked={tools.has(tool.name)}
              onChange={(event) =>
                setTools((current) => {
                  const next = new Set(current);
                  if (event.target.checked) next.add(tool.name);
                  else next.delete(tool.name);
                  return next;
                })
              }
            />
            <span>
              <span className="font-medium">{tool.label}</span> <code className="text-xs text-slate-500">{tool.name}</code>
              <span className="block text-slate-600">{tool.description}</span>
            </span>
          </label>
        ))}
      </fieldset>
      {canManage ? (
        <div className="flex items-center gap-3">
          <Button type="submit" disabled={save.isPending}>
            {save.isPending ? "Saving…" : "Save approvals"}
          </Button>
          <SavedNote saved={save.isSuccess} error={save.error} />
        </div>
      ) : (
        <p className="text-sm text-slate-500">Only admins can change this.</p>
      )}
    </form>
  );
}

export function FetchPolicyForm({ allow, deny, canManage }: { allow: string[]; deny: string[]; canManage: boolean }) {
  const trpc = useTRPC();
  const [allowText, setAllowText] = useState(allow.join("\n"));
  const [denyText, setDenyText] = useState(deny.join("\n"));
  const save = useMutation(trpc.settings.updateFetchPolicy.mutationOptions());
  const lines = (text: string) =>
    text
      .split("\n")
      .map((line) => line.trim())
      .filter(Boolean);
  return (
    <form
      className="space-y-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm"
      onSubmit={(event) => {
        event.preventDefault();
        save.mutate({ allow: lines(allowText), deny: lines(denyText) });
      }}
    >
      <div className="grid gap-4 md:grid-cols-2">
        {(
          [
            ["fetch-allow", "Allow", allowText, setAllowText, "wiki.internal\n10.20.0.0/16"],
            ["fetch-deny", "Deny", denyText, setDenyText, "*.example.com"],
          ] as const
        ).map(([id, label, value, setValue, placeholder]) => (
          <div key={id}>
            <label htmlFor={id} className="block text-sm font-medium text-slate-800">
              {label}
            </label>
            <textarea
              id={id}
              rows={5}
              value={value}
              placeholder={placeholder}
              readOnly={!canManage}
              onChange={(event) => setValue(event.target.value)}
              className="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 font-mono text-sm focus:outline-none focus:ring-2 focus:ring-indigo-500"
            />
          </div>
        ))}
      </div>
      {canManage ? (
        <div className="flex items-center gap-3">
          <Button type="submit" disabled={save.isPending}>
            {save.isPending ? "Saving…" : "Save policy"}
          </Button>
          <SavedNote saved={save.isSuccess} error={save.error} />
        </div>
      ) : (
        <p className="text-sm text-slate-500">Only admins can change this.</p>
      )}
    </form>
  );
}
