import { recordAudit } from "@/server/audit/record-audit";
import { z } from "zod";
import { requirePermission, type Caller } from "@/server/auth/caller";
import { roles } from "@/server/auth/permissions";
import { changeTeamMembership, listTeamMembers, type MembershipChange } from "@/server/db/queries/memberships";
import type { Role } from "@/server/db/types";
import { AppError } from "@/server/errors";
import { parseInput } from "@/server/validation";

/**
 * A team's members: everyone in the team may see who is in it (name, email, role, joined); only
 * admins change roles or remove people. The team always keeps an admin — enforced where the
 * change is written (changeTeamMembership locks the team), not by a check before it. A change
 * takes effect on the member's next request: sessions re-read the role every time.
 */
export const roleSchema = z.enum(roles as [Role, ...Role[]]);
export const memberRoleInput = z.object({ role: roleSchema }).strict();
export const memberIdInput = z.object({ userId: z.string().min(1).max(100) }).strict();

export async function listMembers(caller: Caller) {
  requirePermission(caller, "read");
  return listTeamMembers(caller.teamId);
}

export async function changeMemberRole(caller: Caller, userId: string, raw: unknown) {
  requirePermission(caller, "manage");
  const { userId: memberId } = parseInput(memberIdInput, { userId });
  const { role } = parseInput(memberRoleInput, raw);
  const before = (await listTeamMembers(caller.teamId)).find((candidate) => candidate.userId === memberId);
  refuseUnlessChanged(await changeTeamMembership(caller.teamId, memberId, role), "demoted");
  const member = (await listTeamMembers(caller.teamId)).find((candidate) => candidate.userId === memberId);
  if (!member) throw notMember();
  if (before?.role !== role)
    await recordAudit(caller, {
      action: "member.role_changed",
      target: { type: "user", id: memberId },
      details: { from: before?.role, to: role },
    });
  return member;
}

export async function removeMember(caller: Caller, userId: string): Promise<{ removed: true }> {
  requirePermission(caller, "manage");
  const { userId: memberId } = parseInput(memberIdInput, { userId });
  refuseUnlessChanged(await changeTeamMembership(caller.teamId, memberId, null), "removed");
  await recordAudit(caller, { action: "member.removed", target: { type: "user", id: memberId } });
  return { removed: true };
}

function refuseUnlessChanged(change: MembershipChange, verb: "demoted" | "removed") {
  if (change === "not-member") throw notMember();
  if (change === "last-admin")
    throw new AppError("conflict", `The team's last admin cannot be ${verb}: make another member an admin first`, "userId");
}

const notMember = () => new AppError("not_found", "No such member in this team", "userId");
