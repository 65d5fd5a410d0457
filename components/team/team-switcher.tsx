"use client";

import { useState } from "react";

/**
 * The header's team switcher, for a member of several teams: choosing one asks the server to
 * re-issue the session for it (PUT /api/v1/session/team, which checks the membership) and loads
 * the task list afresh, so every page then shows that team's data. A member of one team sees its name.
 */
export function TeamSwitcher({
  teams,
  currentTeamId,
}: {
  teams: Array<{ id: string; name: string; role: string }>;
  currentTeamId: string;
}) {
  const [error, setError] = useState<string>();
  const [pending, setPending] = useState(false);
  const current = teams.find((team) => team.id === currentTeamId);
  if (teams.length < 2) return <span className="text-sm font-normal text-slate-500">/ {current?.name}</span>;
  return (
    <span className="flex items-center gap-2 text-sm font-normal">
      <label>
        <span className="sr-only">Team</span>
        <select
          value={currentTeamId}
          disabled={pending}
          onChange={(event) => {
            setPending(true);
            setError(undefined);
            void switchTo(event.target.value).then((failure) => {
              setPending(false);
              if (failure) return setError(failure);
              // The cookie names the new team now. A full load, not a client navigation: the
              // browser's query cache still holds the old team's lists.
              window.location.replace(new URL("/tasks", window.location.origin).href);
            });
          }}
          className="rounded-md border border-slate-300 px-2 py-1 text-slate-700"
        >
          {teams.map((team) => (
            <option key={team.id} value={team.id}>
              {team.name} ({team.role})
            </option>
          ))}
        </select>
      </label>
      {error ? (
        <span role="alert" className="text-red-700">
          {error}
        </span>
      ) : null}
    </span>
  );
}

/** Asks the server to re-issue the session for the team; the error message when it refuses. */
async function switchTo(teamId: string): Promise<string | undefined> {
  const response = await fetch("/api/v1/session/team", {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ teamId }),
  }).catch(() => undefined);
  if (response?.ok) return undefined;
  const body = (await response?.json().catch(() => undefined)) as { error?: { message?: string } } | undefined;
  return body?.error?.message ?? "Could not switch teams";
}
