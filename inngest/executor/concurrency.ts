/**
 * Inngest's `concurrency` function option, turned into the slot groups a run belongs to. Pure
 * functions; the accounting itself is SQL in store.ts (a run holds slots while it is leased).
 *
 * `concurrency: number | { limit, key?, scope? } | [rule, rule]`. Each rule with a positive
 * limit puts the run in one group, named by its scope and the value of its `key` expression
 * evaluated against the run's triggering event:
 * - scope `fn` (default): `fn:<function id>:<value>`; only this function's runs share it;
 * - scope `env` / `account`: `env:<value>` / `account:<value>`; every function whose rule of
 *   that scope yields the same value shares it (one database is one environment here).
 * Without a key the value is empty, so the group is the whole function (or the whole scope).
 * A limit of 0 means no limit, as on Inngest.
 */
import { compileExpression } from "./expression";

export interface ConcurrencyRule {
  limit: number;
  key?: string;
  scope: "fn" | "env" | "account";
}

/** One group a run takes a slot in, with the limit its function sets for it. */
export interface ConcurrencyGroup {
  key: string;
  limit: number;
}

type ConcurrencyOption = number | { limit: number; key?: string; scope?: "fn" | "env" | "account" };

/** Normalises the option; rejects key expressions outside the supported subset at once. */
export function concurrencyRules(option: ConcurrencyOption | ConcurrencyOption[] | undefined): ConcurrencyRule[] {
  if (option === undefined) return [];
  return (Array.isArray(option) ? option : [option])
    .map((rule) => (typeof rule === "number" ? { limit: rule } : rule))
    .filter((rule) => rule.limit > 0)
    .map((rule) => {
      if (rule.key) compileExpression(rule.key);
      return { limit: rule.limit, scope: rule.scope ?? "fn", ...(rule.key ? { key: rule.key } : {}) };
    });
}

/** The groups a new run of `functionId` takes slots in; null when it has no limit. */
export function concurrencyGroups(
  functionId: string,
  rules: ConcurrencyRule[],
  event: Readonly<Record<string, unknown>>,
): ConcurrencyGroup[] | null {
  if (rules.length === 0) return null;
  return rules.map((rule) => {
    const value = rule.key ? keyValue(compileExpression(rule.key).valueOf({ event })) : "";
    const scope = rule.scope === "fn" ? `fn:${functionId}` : rule.scope;
    return { key: `${scope}:${value}`, limit: rule.limit };
  });
}

/**
 * Strings as they are, other values as JSON. A key that cannot be evaluated (a missing field)
 * still limits: all such runs share one group rather than escaping the limit.
 */
function keyValue(value: unknown): string {
  if (value === undefined) return "\u0000unevaluable";
  return typeof value === "string" ? value : JSON.stringify(value);
}
