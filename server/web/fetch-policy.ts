import { z } from "zod";
import { recordAudit } from "@/server/audit/record-audit";
import { requirePermission, type Caller } from "@/server/auth/caller";
import { findTeamFetchPolicy, updateTeamFetchPolicy } from "@/server/db/queries/fetch-policies";
import { AppError } from "@/server/errors";
import { parseInput, ValidationError } from "@/server/validation";
import { parsePolicyEntry, type FetchPolicy } from "./policy-entries";

/**
 * A team's fetch policy: which hosts and networks the fetch_url tool may reach besides the public
 * web (allow) and which it must never reach (deny). Admins ("manage") change it; every member
 * ("read") can see it, so they know why a fetch was refused. The tool reads it with
 * getFetchPolicy(teamId) for each fetch, so a change applies to the next fetch.
 */

export const MAX_POLICY_ENTRIES = 200;

const entryList = z
  .array(z.string().max(300, "is longer than 300 characters"))
  .max(MAX_POLICY_ENTRIES, `has more than ${MAX_POLICY_ENTRIES} entries`)
  .default([]);

export const fetchPolicyInput = z.strictObject({ allow: entryList, deny: entryList });

/** What the policy routes answer with (and the OpenAPI document publishes). */
export const fetchPolicyView = z
  .object({ allow: z.array(z.string()), deny: z.array(z.string()) })
  .meta({ id: "FetchPolicy", description: "Entries in canonical form: host names, *.wildcards, IP addresses, CIDRs" });

/** The stored shape, read tolerantly: anything unexpected reads as no entries. */
const storedPolicy = z.object({ allow: z.array(z.string()).catch([]), deny: z.array(z.string()).catch([]) });

/** The team's policy for the fetch tool (no entries when it has none, or the team is gone). */
export async function getFetchPolicy(teamId: string): Promise<FetchPolicy> {
  const stored = await findTeamFetchPolicy(teamId);
  if (stored === null || stored === undefined) return { allow: [], deny: [] };
  const parsed = storedPolicy.safeParse(stored);
  return parsed.success ? parsed.data : { allow: [], deny: [] };
}

export async function readFetchPolicy(caller: Caller): Promise<FetchPolicy> {
  requirePermission(caller, "read");
  return getFetchPolicy(caller.teamId);
}

/** Replaces the policy with `raw` ({ allow, deny }); each entry is checked and stored in its canonical form. */
export async function updateFetchPolicy(caller: Caller, raw: unknown): Promise<FetchPolicy> {
  requirePermission(caller, "manage");
  const input = parseInput(fetchPolicyInput, raw);
  const problems: Array<{ field: string; message: string }> = [];
  const policy = { allow: canonicalEntries(input.allow, "allow", problems), deny: canonicalEntries(input.deny, "deny", problems) };
  if (problems.length > 0) throw new ValidationError(problems);
  if (policy.allow.length + policy.deny.length > MAX_POLICY_ENTRIES) {
    throw new AppError("bad_request", `A fetch policy holds at most ${MAX_POLICY_ENTRIES} entries (allow and deny together)`, "allow");
  }
  if (!(await updateTeamFetchPolicy(caller.teamId, policy))) throw new AppError("not_found", "Your team no longer exists");
  await recordAudit(caller, {
    action: "settings.fetch_policy_updated",
    target: { type: "team", id: caller.teamId },
    details: { allow: policy.allow, deny: policy.deny },
  });
  return policy;
}

/** The entries in canonical form, duplicates dropped; each entry that is not a host, wildcard, IP or CIDR is added to `problems`. */
function canonicalEntries(entries: string[], list: "allow" | "deny", problems: Array<{ field: string; message: string }>): string[] {
  const seen = new Set<string>();
  entries.forEach((entry, index) => {
    const parsed = parsePolicyEntry(entry);
    if ("error" in parsed)
      problems.push({
        field: `${list}.${index}`,
        message: `${list}.${index} "${Array.from(entry).slice(0, 80).join("")}" ${parsed.error}`,
      });
    else seen.add(parsed.text);
  });
  return [...seen];
}
