import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { callerTeamName, createTeam } from "@/server/teams/teams";

describe("the team the dashboard shows", () => {
  it("is the caller's own team, by name", async () => {
    const suffix = randomBytes(3).toString("hex");
    const mine = await createTeam({ slug: `mine-${suffix}`, name: "Research Guild" });
    await createTeam({ slug: `theirs-${suffix}`, name: "Another Team" });
    expect(await callerTeamName({ teamId: mine.id, role: "viewer" })).toBe("Research Guild");
    expect(await callerTeamName({ teamId: "no-such-team", role: "viewer" })).toBeUndefined();
  });
});
