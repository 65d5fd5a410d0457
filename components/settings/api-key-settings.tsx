"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { formatUtcTime } from "@/components/ui/format";
import { useTRPC } from "@/components/providers";
import { ShownOnce } from "./shown-once";
import { ErrorNote, settingsInputClass } from "@/components/ui/error-note";

/**
 * Settings → API keys (admins): create a key with a role and an optional lifetime — its secret is
 * shown once —, see every key (never a secret: the prefix identifies it) and revoke one.
 */
type Role = "admin" | "user" | "viewer";

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  role: Role;
  createdBy: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  /** Past its expiry when the page was rendered. */
  expired: boolean;
}

const LIFETIMES = [
  { value: "", label: "Never (until revoked)" },
  { value: "1d", label: "1 day" },
  { value: "30d", label: "30 days" },
  { value: "90d", label: "90 days" },
  { value: "365d", label: "1 year" },
];
const inputClass = settingsInputClass;

/** A key's state as its holder would see it: revoked, expired, or working. */
function keyState(key: ApiKeyView): string {
  if (key.revokedAt) return `revoked ${formatUtcTime(key.revokedAt)}`;
  if (key.expired) return `expired ${formatUtcTime(key.expiresAt)}`;
  return key.expiresAt ? `active, expires ${formatUtcTime(key.expiresAt)}` : "active, no expiry";
}

export function ApiKeyPanel({ keys }: { keys: ApiKeyView[] }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("user");
  const [expiresIn, setExpiresIn] = useState("");
  const create = useMutation(trpc.apiKeys.create.mutationOptions({ onSuccess: () => router.refresh() }));
  const revoke = useMutation(trpc.apiKeys.revoke.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <div className="space-y-4">
      <form
        className="grid gap-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm sm:grid-cols-3"
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate({ name, role, expiresIn: expiresIn || undefined });
        }}
      >
        <label className="block text-sm font-medium text-slate-700">
          Name
          <input
            required
            maxLength={100}
            value={name}
            onChange={(event) => setName(event.target.value)}
            className={inputClass}
            placeholder="CI pipeline"
          />
        </label>
        <label className="block text-sm font-medium text-slate-700">
          Role
          <select value={role} onChange={(event) => setRole(event.target.value as Role)} className={inputClass}>
            <option value="admin">admin</option>
            <option value="user">user</option>
            <option value="viewer">viewer</option>
          </select>
        </label>
        <label className="block text-sm font-medium text-slate-700">
          Expires
          <select value={expiresIn} onChange={(event) => setExpiresIn(event.target.value)} className={inputClass}>
            {LIFETIMES.map((lifetime) => (
              <option key={lifetime.value} value={lifetime.value}>
                {lifetime.label}
              </option>
            ))}
          </select>
        </label>
        <div className="flex items-center gap-3 sm:col-span-3">
          <Button type="submit" disabled={create.isPending || !name.trim()}>
            {create.isPending ? "Creating…" : "Create API key"}
          </Button>
          <ErrorNote error={create.error} />
        </div>
      </form>
      {create.data ? (
        <ShownOnce
          label={`API key "${create.data.name}"`}
          value={create.data.key}
          note="Copy it now: it is not shown again. Send it as Authorization: Bearer <key>."
        />
      ) : null}
      {keys.length === 0 ? (
        <p className="text-sm text-slate-500">No API keys yet.</p>
      ) : (
        <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
          <table className="min-w-full text-left text-sm">
            <thead className="bg-slate-50 text-slate-600">
              <tr>
                <th className="px-3 py-2 font-medium">Name</th>
                <th className="px-3 py-2 font-medium">Key</th>
                <th className="px-3 py-2 font-medium">Role</th>
                <th className="px-3 py-2 font-medium">Created</th>
                <th className="px-3 py-2 font-medium">Last used</th>
                <th className="px-3 py-2 font-medium">State</th>
                <th className="px-3 py-2 font-medium">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.map((key) => (
                <tr key={key.id} className="border-t border-slate-100" data-testid={`api-key-${key.name}`}>
                  <td className="px-3 py-2 font-medium">{key.name}</td>
                  <td className="px-3 py-2 font-mono text-xs">chorus_{key.prefix}_…</td>
                  <td className="px-3 py-2">{key.role}</td>
                  <td className="px-3 py-2 text-slate-600">
                    {formatUtcTime(key.createdAt)}
                    {key.createdBy ? <span className="block">by {key.createdBy}</span> : null}
                  </td>
                  <td className="px-3 py-2 text-slate-600">{key.lastUsedAt ? formatUtcTime(key.lastUsedAt) : "never"}</td>
                  <td className="px-3 py-2">{keyState(key)}</td>
                  <td className="px-3 py-2">
                    {key.revokedAt ? null : (
                      <Button type="button" variant="secondary" disabled={revoke.isPending} onClick={() => revoke.mutate({ id: key.id })}>
                        Revoke {key.name}
                      </Button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ErrorNote error={revoke.error} />
    </div>
  );
}
