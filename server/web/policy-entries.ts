import { domainToASCII } from "node:url";
import ipaddr from "ipaddr.js";

/**
 * The entries of a team's fetch policy and how they match. An entry is a host name
 * (`wiki.corp.example`), a wildcard for every subdomain (`*.corp.example`, not the bare domain),
 * an IP address or a CIDR (`10.20.0.0/16`, `fd12:3456::/48`). Parsing gives each entry one
 * canonical spelling, so what an admin stored is what the guard compares, and a bad entry is
 * named in the 400 rather than silently never matching.
 */

export interface FetchPolicy {
  allow: string[];
  deny: string[];
}

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

export type PolicyEntry = { kind: "host"; host: string } | { kind: "wildcard"; suffix: string } | { kind: "cidr"; range: Range };

export interface CompiledFetchPolicy {
  allow: PolicyEntry[];
  deny: PolicyEntry[];
}

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

/** A host name in canonical form (lower case, punycode, no trailing dot), or undefined when it is not one. */
export function canonicalHost(raw: string): string | undefined {
  const trimmed = raw.trim().replace(/\.$/, "");
  if (trimmed === "" || /[\s/:@?#[\]\\]/.test(trimmed)) return undefined;
  // domainToASCII lower-cases and turns Unicode labels into punycode; it answers "" for what no URL could hold.
  const ascii = /^[\x21-\x7e]+$/.test(trimmed) ? trimmed.toLowerCase() : domainToASCII(trimmed);
  if (!ascii || ascii.length > 253) return undefined;
  return ascii.split(".").every((label) => LABEL.test(label)) ? ascii : undefined;
}

/** One entry parsed, or a message saying what is wrong with it. */
export function parsePolicyEntry(raw: string): { entry: PolicyEntry; text: string } | { error: string } {
  const value = raw.trim();
  if (value === "") return { error: "is empty" };
  const url = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(value);
  if (url) return { error: `is a URL; give its host name alone (${url[1]!.replace(/^.*@/, "").replace(/:\d+$/, "")})` };
  if (value.includes("/")) {
    const [address, bits] = value.split("/", 2) as [string, string];
    if (!ipaddr.isValid(address) || !/^\d{1,3}$/.test(bits)) return { error: "is not a CIDR (an IP address, a slash and a prefix length)" };
    const parsed = ipaddr.parse(address);
    const length = Number(bits);
    if (length > (parsed.kind() === "ipv4" ? 32 : 128)) return { error: `has a prefix length longer than an ${parsed.kind()} address` };
    const network = parsed.kind() === "ipv4" ? ipaddr.IPv4.networkAddressFromCIDR(value) : ipaddr.IPv6.networkAddressFromCIDR(value);
    return { entry: { kind: "cidr", range: [network, length] }, text: `${network.toString()}/${length}` };
  }
  const literal = value.replace(/^\[(.*)\]$/, "$1");
  if (ipaddr.isValid(literal) && (literal.includes(":") || ipaddr.IPv4.isValidFourPartDecimal(literal))) {
    const parsed = ipaddr.parse(literal);
    const length = parsed.kind() === "ipv4" ? 32 : 128;
    return { entry: { kind: "cidr", range: [parsed, length] }, text: parsed.toString() };
  }
  if (value.startsWith("*.")) {
    const suffix = canonicalHost(value.slice(2));
    if (!suffix || !suffix.includes(".")) return { error: "is not a wildcard like *.example.com" };
    return { entry: { kind: "wildcard", suffix }, text: `*.${suffix}` };
  }
  if (value.includes("*")) return { error: "may use * only as its whole first label (*.example.com)" };
  const host = canonicalHost(value);
  if (!host) return { error: "is not a host name, wildcard, IP address or CIDR" };
  return { entry: { kind: "host", host }, text: host };
}

/** The policy as the guard uses it. Entries were validated when stored; one that no longer parses is skipped. */
export function compileFetchPolicy(policy: FetchPolicy | undefined): CompiledFetchPolicy {
  const compile = (entries: readonly string[] = []) =>
    entries.flatMap((raw) => {
      const parsed = parsePolicyEntry(raw);
      return "entry" in parsed ? [parsed.entry] : [];
    });
  return { allow: compile(policy?.allow), deny: compile(policy?.deny) };
}

/** Whether a URL's host name matches a host or wildcard entry. */
export function matchesHost(entries: readonly PolicyEntry[], host: string): boolean {
  const name = canonicalHost(host);
  if (!name) return false;
  return entries.some(
    (entry) => (entry.kind === "host" && entry.host === name) || (entry.kind === "wildcard" && name.endsWith(`.${entry.suffix}`)),
  );
}

/** Whether an IP address lies in a CIDR entry (an IPv4-mapped IPv6 address counts as its IPv4 address). */
export function matchesAddress(entries: readonly PolicyEntry[], address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.process(address);
  return entries.some((entry) => entry.kind === "cidr" && entry.range[0].kind() === parsed.kind() && parsed.match(entry.range));
}
