import ipaddr from "ipaddr.js";
import type { CompiledFetchPolicy } from "./policy-entries";
import { matchesAddress, matchesHost } from "./policy-entries";

/**
 * Which IP addresses the fetch tool may connect to. An agent's URL comes from a model, and the
 * model reads pages anyone can write: without this check, "fetch http://169.254.169.254/…" or a
 * page redirecting to http://127.0.0.1:5432 would turn Chorus into a proxy into its own host, the
 * cloud's metadata service (credentials) and the company network behind it (SSRF).
 *
 * Refused, after DNS resolution, on every hop:
 * - loopback (127/8, ::1) and unspecified (0/8, ::) — the Chorus host itself (0.0.0.0 reaches it on Linux);
 * - private networks: 10/8, 172.16/12, 192.168/16, IPv6 unique-local fc00::/7 and the old site-local fec0::/10;
 * - shared address space / CGNAT 100.64/10 — carriers' and cloud providers' internal networks;
 * - link-local 169.254/16 and fe80::/10 — where cloud metadata services answer (169.254.169.254);
 * - multicast, broadcast, and reserved, documentation and benchmarking ranges — nothing a web page lives on;
 * - IPv6 forms that carry an IPv4 address — IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d),
 *   SIIT (::ffff:0:a.b.c.d), NAT64 (64:ff9b::/96), 6to4 (2002::/16) and Teredo (2001::/32) — are judged by the
 *   IPv4 address inside them, so ::ffff:127.0.0.1 is loopback; the local-use NAT64 prefix 64:ff9b:1::/48 is refused outright.
 * Only what ipaddr.js calls "unicast" (globally routable) passes on its own.
 *
 * A team's policy (policy-entries.ts) applies on top: a deny entry always refuses; an allow entry
 * (a host name or a CIDR) lets that host reach a private, CGNAT or loopback address — a team's
 * internal wiki — but never link-local or metadata addresses, unspecified, multicast or broadcast,
 * whose only use from here would be an attack.
 */

export type AddressRange =
  | "public"
  | "loopback"
  | "unspecified"
  | "private"
  | "unique-local"
  | "carrier-grade-nat"
  | "link-local"
  | "metadata"
  | "multicast"
  | "broadcast"
  | "reserved";

/** Ranges an allow-list entry may open, for a team's own internal services. */
const ALLOWABLE: ReadonlySet<AddressRange> = new Set(["loopback", "private", "unique-local", "carrier-grade-nat", "reserved"]);

/** Cloud metadata endpoints outside link-local: AWS's IPv6 one (in fc00::/7) and Alibaba's (in 100.64/10). */
const METADATA = new Set(["fd00:ec2::254", "100.100.100.200"]);

export type AddressVerdict =
  { allowed: true; range: AddressRange } | { allowed: false; reason: "private-address" | "denied-by-policy"; range: AddressRange };

/** The range an address (IPv4 or IPv6 text, as DNS or a URL gives it) belongs to; unparseable text is "reserved". */
export function classifyAddress(address: string): AddressRange {
  if (!ipaddr.isValid(address)) return "reserved";
  const parsed = ipaddr.parse(address);
  if (METADATA.has(parsed.toString())) return "metadata";
  if (parsed.kind() === "ipv4") return classifyIpv4(parsed as ipaddr.IPv4);
  return classifyIpv6(parsed as ipaddr.IPv6);
}

function classifyIpv4(address: ipaddr.IPv4): AddressRange {
  if (address.toString() === "169.254.169.254") return "metadata";
  switch (address.range()) {
    case "unicast":
      return "public";
    case "loopback":
      return "loopback";
    case "unspecified":
      return "unspecified";
    case "private":
      return "private";
    case "carrierGradeNat":
      return "carrier-grade-nat";
    case "linkLocal":
      return "link-local";
    case "multicast":
      return "multicast";
    case "broadcast":
      return "broadcast";
    default:
      // reserved, documentation, benchmarking, AS112, AMT: no page to fetch there.
      return "reserved";
  }
}

function classifyIpv6(address: ipaddr.IPv6): AddressRange {
  const embedded = embeddedIpv4(address);
  if (embedded === "refuse") return "reserved";
  if (embedded) return classifyIpv4(embedded);
  // ipaddr.js names fec0::/10 "deprecatedSiteLocal" at runtime, but its type list lacks it.
  switch (address.range() as string) {
    case "unicast":
      return "public";
    case "loopback":
      return "loopback";
    case "unspecified":
      return "unspecified";
    case "uniqueLocal":
    case "deprecatedSiteLocal":
      return "unique-local";
    case "linkLocal":
      return "link-local";
    case "multicast":
      return "multicast";
    default:
      return "reserved";
  }
}

/** The IPv4 address an IPv6 address carries (mapped, compatible, SIIT, NAT64, 6to4, Teredo), "refuse" for local-use NAT64, else undefined. */
function embeddedIpv4(address: ipaddr.IPv6): ipaddr.IPv4 | "refuse" | undefined {
  const parts = address.parts;
  const v4 = (high: number, low: number) => new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
  const zeros = (from: number, to: number) => parts.slice(from, to).every((part) => part === 0);
  if (address.isIPv4MappedAddress()) return address.toIPv4Address();
  // IPv4-compatible ::a.b.c.d (deprecated, but a stack may still route it as IPv4); :: and ::1 are not.
  if (zeros(0, 6) && (parts[6] !== 0 || parts[7]! > 1)) return v4(parts[6]!, parts[7]!);
  // SIIT ::ffff:0:a.b.c.d (RFC 6145).
  if (zeros(0, 4) && parts[4] === 0xffff && parts[5] === 0) return v4(parts[6]!, parts[7]!);
  // NAT64 well-known prefix 64:ff9b::/96 (RFC 6052) translates to the IPv4 address in its last 32 bits.
  if (parts[0] === 0x64 && parts[1] === 0xff9b && zeros(2, 6)) return v4(parts[6]!, parts[7]!);
  // Local-use NAT64 64:ff9b:1::/48 (RFC 8215): where the IPv4 sits depends on the operator's prefix length.
  if (parts[0] === 0x64 && parts[1] === 0xff9b && parts[2] === 1) return "refuse";
  // 6to4 2002:AABB:CCDD::/48 (RFC 3056) reaches the IPv4 address in bits 16–48.
  if (parts[0] === 0x2002) return v4(parts[1]!, parts[2]!);
  // Teredo 2001:0::/32 (RFC 4380): the client's IPv4 address, inverted, in the last 32 bits.
  if (parts[0] === 0x2001 && parts[1] === 0) return v4(parts[6]! ^ 0xffff, parts[7]! ^ 0xffff);
  return undefined;
}

/**
 * Whether a connection to `address`, reached through the URL host `host`, is allowed under the
 * team's policy: deny entries first (host or CIDR), then the address's range, which an allow
 * entry matching the host or the address may open (ALLOWABLE ranges only).
 */
export function checkAddress(host: string, address: string, policy: CompiledFetchPolicy): AddressVerdict {
  const range = classifyAddress(address);
  if (matchesHost(policy.deny, host) || matchesAddress(policy.deny, address)) return { allowed: false, reason: "denied-by-policy", range };
  if (range === "public") return { allowed: true, range };
  const allowListed = matchesHost(policy.allow, host) || matchesAddress(policy.allow, address);
  if (allowListed && ALLOWABLE.has(range)) return { allowed: true, range };
  return { allowed: false, reason: "private-address", range };
}
