import { describe, expect, it } from "vitest";
import { AppError } from "@/server/errors";
import { createAgentDefinition, listAgentDefinitions } from "@/server/teams/agent-definitions";
import { createTeamWithMembers } from "../support/fixtures";

const reviewer = {
  kind: "legal-review",
  name: "Legal Reviewer",
  description: "Checks plans and documents for legal and compliance risks.",
  instructions: "Point out legal risks and suggest a safer wording.",
  capabilities: ["legal review"],
};

describe("creating the same team agent at the same time", () => {
  it("one create wins; every other is a 409 conflict on kind, as a sequential duplicate is", async () => {
    const { callers } = await createTeamWithMembers();
    // Several rounds: a round can happen to run the creates one after the other, which
    // passes the existence check's path rather than the unique constraint's.
    for (const kind of ["legal-review", "tax-review", "privacy-review", "contract-review"]) {
      const results = await Promise.allSettled(
        Array.from({ length: 6 }, () => createAgentDefinition(callers.admin, { ...reviewer, kind })),
      );
      const won = results.filter((result) => result.status === "fulfilled");
      const lost = results.filter((result): result is PromiseRejectedResult => result.status === "rejected");
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(5);
      for (const { reason } of lost) {
        expect(reason).toBeInstanceOf(AppError);
        expect(reason).toMatchObject({ code: "conflict", field: "kind" });
      }
    }
    const kinds = (await listAgentDefinitions(callers.viewer)).agents.filter((agent) => !agent.builtIn).map((agent) => agent.kind);
    expect(kinds.sort()).toEqual(["contract-review", "legal-review", "privacy-review", "tax-review"]);
  });

  it("the same kind in two teams at the same time is no conflict", async () => {
    const first = await createTeamWithMembers();
    const second = await createTeamWithMembers();
    const results = await Promise.allSettled([
      createAgentDefinition(first.callers.admin, reviewer),
      createAgentDefinition(second.callers.admin, reviewer),
    ]);
    expect(results.map((result) => result.status)).toEqual(["fulfilled", "fulfilled"]);
  });
});
