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
 * Settings → Members: who is in the team (everyone sees it), role changes and removal, and
 * invitations by link (admins). The server refuses what a role may not do, and keeps the last admin.
 */
type Role = "admin" | "user" | "viewer";
const ROLES: Role[] = ["admin", "user", "viewer"];
const ROLE_HELP: Record<Role, string> = {
  admin: "everything, including members, keys and settings",
  user: "read, write and run tasks",
  viewer: "read only",
};

export interface MemberView {
  userId: string;
  name: string | null;
  email: string;
  role: Role;
  joinedAt: string;
}
export interface InvitationView {
  id: string;
  role: Role;
  email: string | null;
  expiresAt: string;
  createdBy: string | null;
}

const inputClass = settingsInputClass;

export function MemberList({ members, currentUserId, canManage }: { members: MemberView[]; currentUserId: string; canManage: boolean }) {
  return (
    <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
      <table className="min-w-full text-left text-sm">
        <thead className="bg-slate-50 text-slate-600">
          <tr>
            <th className="px-3 py-2 font-medium">Member</th>
            <th className="px-3 py-2 font-medium">Role</th>
            <th className="px-3 py-2 font-medium">Joined</th>
            {canManage ? <th className="px-3 py-2 font-medium">Actions</th> : null}
          </tr>
        </thead>
        <tbody>
          {members.map((member) => (
            <MemberRow key={member.userId} member={member} isYou={member.userId === currentUserId} canManage={canManage} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function MemberRow({ member, isYou, canManage }: { member: MemberView; isYou: boolean; canManage: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [confirming, setConfirming] = useState(false);
  const updateRole = useMutation(trpc.members.updateRole.mutationOptions({ onSuccess: () => router.refresh() }));
  const remove = useMutation(trpc.members.remove.mutationOptions({ onSuccess: () => router.refresh() }));
  const label = member.name?.trim() || member.email;
  return (
    <tr className="border-t border-slate-100 align-top" data-testid={`member-${member.email}`}>
      <td className="px-3 py-2">
        <span className="font-medium">{label}</span>
        {isYou ? <span className="ml-1 text-slate-500">(you)</span> : null}
        {label !== member.email ? <span className="block text-slate-500">{member.email}</span> : null}
      </td>
      <td className="px-3 py-2">
        {canManage ? (
          <label>
            <span className="sr-only">Role of {label}</span>
            <select
              value={member.role}
              disabled={updateRole.isPending}
              onChange={(event) => updateRole.mutate({ userId: member.userId, role: event.target.value as Role })}
              className="rounded-md border border-slate-300 px-2 py-1"
            >
              {ROLES.map((role) => (
                <option key={role} value={role}>
                  {role}
                </option>
              ))}
            </select>
          </label>
        ) : (
          member.role
        )}
        <ErrorNote error={updateRole.error} />
      </td>
      <td className="px-3 py-2 text-slate-600">{formatUtcTime(member.joinedAt)}</td>
      {canManage ? (
        <td className="px-3 py-2">
          {confirming ? (
            <span className="flex flex-wrap gap-2">
              <Button type="button" onClick={() => remove.mutate({ userId: member.userId })} disabled={remove.isPending}>
                Remove {label}
              </Button>
              <Button type="button" variant="secondary" onClick={() => setConfirming(false)}>
                Keep
              </Button>
            </span>
          ) : (
            <Button type="button" variant="secondary" onClick={() => setConfirming(true)}>
              Remove…
            </Button>
          )}
          <ErrorNote error={remove.error} />
        </td>
      ) : null}
    </tr>
  );
}

const LIFETIMES = [
  { minutes: 60, label: "1 hour" },
  { minutes: 24 * 60, label: "1 day" },
  { minutes: 7 * 24 * 60, label: "7 days" },
  { minutes: 30 * 24 * 60, label: "30 days" },
];

export function InvitationPanel({ invitations }: { invitations: InvitationView[] }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [role, setRole] = useState<Role>("user");
  const [email, setEmail] = useState("");
  const [minutes, setMinutes] = useState(7 * 24 * 60);
  const create = useMutation(trpc.invitations.create.mutationOptions({ onSuccess: () => router.refresh() }));
  const revoke = useMutation(trpc.invitations.revoke.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <div className="space-y-4">
      <form
        className="grid gap-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm sm:grid-cols-3"
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate({ role, email: email.trim() || undefined, expiresInMinutes: minutes });
        }}
      >
        <label className="block text-sm font-medium text-slate-700">
          Role
          <select value={role} onChange={(event) => setRole(event.target.value as Role)} className={inputClass}>
            {ROLES.map((option) => (
              <option key={option} value={option}>
                {option} — {ROLE_HELP[option]}
              </option>
            ))}
          </select>
        </label>
        <label className="block text-sm font-medium text-slate-700">
          Only for email (optional)
          <input
            type="email"
            value={email}
            onChange={(event) => setEmail(event.target.value)}
            className={inputClass}
            placeholder="anyone with the link"
          />
        </label>
        <label className="block text-sm font-medium text-slate-700">
          Link works for
          <select value={minutes} onChange={(event) => setMinutes(Number(event.target.value))} className={inputClass}>
            {LIFETIMES.map((lifetime) => (
              <option key={lifetime.minutes} value={lifetime.minutes}>
                {lifetime.label}
              </option>
            ))}
          </select>
        </label>
        <div className="flex items-center gap-3 sm:col-span-3">
          <Button type="submit" disabled={create.isPending}>
            {create.isPending ? "Creating…" : "Create invitation link"}
          </Button>
          <ErrorNote error={create.error} />
        </div>
      </form>
      {create.data ? (
        <ShownOnce
          label="Invitation link"
          value={`${window.location.origin}${create.data.path}`}
          note="Send it to the person you invite. It works once, and is not shown again."
        />
      ) : null}
      <div>
        <h3 className="mb-2 text-sm font-semibold text-slate-700">Pending invitations</h3>
        {invitations.length === 0 ? (
          <p className="text-sm text-slate-500">No pending invitations.</p>
        ) : (
          <ul className="space-y-2">
            {invitations.map((invitation) => (
              <li
                key={invitation.id}
                className="flex flex-wrap items-center justify-between gap-2 rounded-md border border-slate-200 bg-white px-3 py-2 text-sm"
              >
                <span>
                  <span className="font-medium">{invitation.role}</span> · {invitation.email ?? "anyone with the link"} · expires{" "}
                  {formatUtcTime(invitation.expiresAt)}
                  {invitation.createdBy ? <span className="text-slate-500"> · by {invitation.createdBy}</span> : null}
                </span>
                <Button type="button" variant="secondary" disabled={revoke.isPending} onClick={() => revoke.mutate({ id: invitation.id })}>
                  Revoke
                </Button>
              </li>
            ))}
          </ul>
        )}
        <ErrorNote error={revoke.error} />
      </div>
    </div>
  );
}
