import type { Metadata } from "next";
import { dashboardCaller } from "@/server/auth/dashboard-caller";
import { can } from "@/server/auth/permissions";
import { listInvitations } from "@/server/teams/invitations";
import { listMembers } from "@/server/teams/members";
import { InvitationPanel, MemberList } from "@/components/settings/member-settings";

export const metadata: Metadata = { title: "Members · Settings" };
export const dynamic = "force-dynamic";

/** Who is in the team and with which role (every member sees it); admins change roles, remove people and invite by link. */
export default async function MemberSettingsPage() {
  const caller = await dashboardCaller();
  const canManage = can(caller.role, "manage");
  const [members, invitations] = await Promise.all([listMembers(caller), canManage ? listInvitations(caller) : Promise.resolve([])]);
  return (
    <div className="space-y-8">
      <section aria-labelledby="members-heading" className="space-y-3">
        <h2 id="members-heading" className="text-lg font-semibold">
          Members
        </h2>
        <p className="text-sm text-slate-600">
          A role change or a removal applies from the member&apos;s next click. The team always keeps at least one admin.
        </p>
        <MemberList
          members={members.map((member) => ({ ...member, joinedAt: member.joinedAt.toISOString() }))}
          currentUserId={caller.userId ?? ""}
          canManage={canManage}
        />
      </section>
      {canManage ? (
        <section aria-labelledby="invitations-heading" className="space-y-3">
          <h2 id="invitations-heading" className="text-lg font-semibold">
            Invite people
          </h2>
          <p className="text-sm text-slate-600">
            A link that adds one person to this team with the role you choose. Someone new creates an account with it; someone who already
            has one joins with it after signing in.
          </p>
          <InvitationPanel
            invitations={invitations.map((invitation) => ({
              id: invitation.id,
              role: invitation.role,
              email: invitation.email,
              expiresAt: invitation.expiresAt.toISOString(),
              createdBy: invitation.createdBy ? invitation.createdBy.name?.trim() || invitation.createdBy.email : null,
            }))}
          />
        </section>
      ) : (
        <p className="text-sm text-slate-500">Only admins change roles, remove members and invite people.</p>
      )}
    </div>
  );
}
