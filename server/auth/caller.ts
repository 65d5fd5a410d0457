import type { Role } from "@/server/db/types";
import { AppError } from "@/server/errors";
import { can, type Permission } from "./permissions";

/** Who is calling: a signed-in member or an API key, always within one team and with one role. */
export interface Caller {
  teamId: string;
  role: Role;
  userId?: string;
  apiKeyId?: string;
  /** Where the request came from (the audit log records it); unset outside a request. */
  client?: { address?: string; userAgent?: string };
}

/** The one permission check. Throws `forbidden` naming what was missing. */
export function requirePermission(caller: Caller, permission: Permission): Caller {
  if (!can(caller.role, permission)) {
    throw new AppError("forbidden", `Your role (${caller.role}) does not allow "${permission}" in this team`);
  }
  return caller;
}

/** Who did something, as stored with what they did: the member, or the API key. */
export function actorOf(caller: Caller): { userId: string } | { apiKeyId: string | undefined } {
  return caller.userId ? { userId: caller.userId } : { apiKeyId: caller.apiKeyId };
}
