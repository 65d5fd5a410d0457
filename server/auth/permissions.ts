import type { Role } from "@/server/db/types";

/** What each role may do: data, not scattered `if`s. Every server path checks one of these. */
export const permissions = ["read", "write", "execute", "delete", "manage"] as const;
export type Permission = (typeof permissions)[number];

export const rolePermissions: Record<Role, readonly Permission[]> = {
  admin: ["read", "write", "execute", "delete", "manage"],
  user: ["read", "write", "execute"],
  viewer: ["read"],
};

export function can(role: Role, permission: Permission): boolean {
  return rolePermissions[role].includes(permission);
}

export const roles = Object.keys(rolePermissions) as Role[];

/** Whether `role` grants nothing `cap` does not: what a caller may hand out (an API key, an invitation). */
export function roleWithin(role: Role, cap: Role): boolean {
  return rolePermissions[role].every((permission) => can(cap, permission));
}
