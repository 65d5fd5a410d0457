import { describe, expect, it } from "vitest";
import { buildDefaultPlan } from "@/server/agents/default-plan";
import { validatePlan } from "@/server/agents/plan";
import { balanceParentheses, describeSubject, extractSubjects } from "@/server/llm/topics";

/** Every "(" closed by a ")" after it, and no ")" without one. */
function parenthesesBalanced(text: string): boolean {
  let depth = 0;
  for (const char of text) {
    if (char === "(") depth += 1;
    if (char === ")") depth -= 1;
    if (depth < 0) return false;
  }
  return depth === 0;
}

const slug = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

function expectCleanPlan(prompt: string) {
  const plan = buildDefaultPlan(prompt);
  expect(validatePlan(plan, { knownAgents: ["research", "analysis", "synthesis"] }).ok).toBe(true);
  for (const step of plan.steps) {
    expect(step.id).toMatch(slug);
    expect(parenthesesBalanced(step.subtask), step.subtask).toBe(true);
    expect(parenthesesBalanced(step.reason), step.reason).toBe(true);
  }
  return plan;
}

describe("the default plan reads prompts with parentheses", () => {
  it("researches each product a parenthesised list names, with clean ids and balanced text", () => {
    const plan = expectCleanPlan("Compare three CRM products (HubSpot, Pipedrive, Salesforce) for a 10-person sales team");
    expect(plan.steps.map((step) => step.id)).toEqual([
      "research-hubspot",
      "research-pipedrive",
      "research-salesforce",
      "analysis",
      "synthesis",
    ]);
    expect(plan.steps.find((step) => step.id === "analysis")?.subtask).toMatch(/^Compare HubSpot, Pipedrive and Salesforce:/);
  });

  it("takes the items of a 'such as' list and of a list joined by 'and'", () => {
    expect(extractSubjects("Compare cloud data warehouses (such as Snowflake, BigQuery and Redshift) for a startup")).toEqual([
      "Snowflake",
      "BigQuery",
      "Redshift",
    ]);
    expectCleanPlan("Compare cloud data warehouses (such as Snowflake, BigQuery and Redshift) for a startup");
  });

  it("keeps a short aside with its subject, out of its id, and drops a long one cut short", () => {
    const prompt = "Compare PostgreSQL (with Citus) and MySQL for analytics workloads";
    expect(extractSubjects(prompt)).toEqual(["PostgreSQL (with Citus)", "MySQL"]);
    expect(expectCleanPlan(prompt).steps.map((step) => step.id)).toEqual([
      "research-postgresql",
      "research-mysql",
      "analysis",
      "synthesis",
    ]);
    expect(extractSubjects("Compare PostgreSQL (with the Citus extension, for sharding) and MySQL for analytics")).toEqual([
      "PostgreSQL",
      "MySQL",
    ]);
  });

  it("never leaves a parenthesis open when a subject phrase is cut short", () => {
    const prompt =
      "Write a brief about the European e-bike market (size, growth, the largest brands, pricing and regulation) for a retailer";
    expect(parenthesesBalanced(describeSubject(prompt))).toBe(true);
    expectCleanPlan(prompt);
    expectCleanPlan("Rust (the language) vs Go (golang) for a CLI tool");
    expectCleanPlan("Compare (in detail) React, Vue and Svelte");
  });

  it("balances a phrase: an unclosed aside is cut off, a stray ')' is dropped", () => {
    expect(balanceParentheses("three CRM products (HubSpot, Pipedrive")).toBe("three CRM products");
    expect(balanceParentheses("Salesforce)")).toBe("Salesforce");
    expect(balanceParentheses("PostgreSQL (with Citus)")).toBe("PostgreSQL (with Citus)");
  });
});
