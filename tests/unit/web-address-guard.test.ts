import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkAddress, classifyAddress } from "@/server/web/address-guard";
import { compileFetchPolicy, matchesHost, parsePolicyEntry } from "@/server/web/policy-entries";

const none = compileFetchPolicy(undefined);

describe("classifyAddress", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["::1", "loopback"],
    ["0.0.0.0", "unspecified"],
    ["::", "unspecified"],
    ["10.0.0.1", "private"],
    ["172.16.5.4", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["100.64.0.1", "carrier-grade-nat"],
    ["100.127.255.254", "carrier-grade-nat"],
    ["169.254.169.254", "metadata"],
    ["169.254.1.1", "link-local"],
    ["fe80::1", "link-local"],
    ["fd00:ec2::254", "metadata"],
    ["100.100.100.200", "metadata"],
    ["fc00::1", "unique-local"],
    ["fd12:3456::1", "unique-local"],
    ["fec0::1", "unique-local"],
    ["224.0.0.1", "multicast"],
    ["ff02::1", "multicast"],
    ["255.255.255.255", "broadcast"],
    ["192.0.2.7", "reserved"],
    ["198.51.100.1", "reserved"],
    ["203.0.113.9", "reserved"],
    ["198.18.0.1", "reserved"],
    ["240.0.0.1", "reserved"],
    ["2001:db8::1", "reserved"],
    // IPv6 forms that carry an IPv4 address are judged by it.
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:10.0.0.1", "private"],
    ["::ffff:169.254.169.254", "metadata"],
    ["::127.0.0.1", "loopback"],
    ["::ffff:0:10.1.2.3", "private"],
    ["64:ff9b::10.0.0.1", "private"],
    ["64:ff9b::7f00:1", "loopback"],
    ["64:ff9b:1::1", "reserved"],
    ["2002:7f00:0001::1", "loopback"],
    ["2002:a9fe:a9fe::1", "metadata"],
    // Teredo: the client's IPv4 address, every bit inverted, in the last 32 bits (127.0.0.1 → 80ff:fffe).
    ["2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback"],
    ["8.8.8.8", "public"],
    ["93.184.215.14", "public"],
    ["2606:4700::6810:85e5", "public"],
    ["::ffff:8.8.8.8", "public"],
    ["not-an-ip", "reserved"],
  ])("%s is %s", (address, range) => {
    expect(classifyAddress(address)).toBe(range);
  });
});

describe("every IPv4 address of a refused range, in every IPv6 form that carries it", () => {
  // Each refused IPv4 range as [network, prefix length].
  const ranges: Array<[string, number]> = [
    ["10.0.0.0", 8],
    ["127.0.0.0", 8],
    ["169.254.0.0", 16],
    ["100.64.0.0", 10],
    ["172.16.0.0", 12],
    ["192.168.0.0", 16],
    ["0.0.0.0", 8],
  ];
  const inRange = fc.constantFrom(...ranges).chain(([base, bits]) =>
    fc.integer({ min: 0, max: 2 ** (32 - bits) - 1 }).map((offset) => {
      const start = base.split(".").reduce((sum, octet) => sum * 256 + Number(octet), 0);
      return (start + offset) >>> 0;
    }),
  );
  const dotted = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
  const hex = (n: number) => `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  const forms = (n: number) => [
    dotted(n),
    `::ffff:${dotted(n)}`,
    `::ffff:${hex(n)}`,
    `::ffff:0:${dotted(n)}`,
    `64:ff9b::${dotted(n)}`,
    `2002:${hex(n)}::1`,
    `2001:0:4136:e378:8000:63bf:${hex(~n >>> 0)}`,
    ...(n >>> 24 === 0 ? [] : [`::${dotted(n)}`]),
  ];

  it("is refused without a policy", () => {
    fc.assert(
      fc.property(inRange, (n) => {
        for (const address of forms(n)) {
          expect(classifyAddress(address), address).not.toBe("public");
          expect(checkAddress("public.example", address, none).allowed, address).toBe(false);
        }
      }),
      { numRuns: 2_000 },
    );
  });
});

describe("checkAddress with a team policy", () => {
  it("refuses every non-public range without a policy and allows public ones", () => {
    for (const address of ["127.0.0.1", "10.0.0.1", "169.254.169.254", "::ffff:10.0.0.1", "fc00::1", "100.64.0.1", "0.0.0.0"]) {
      expect(checkAddress("example.com", address, none), address).toMatchObject({ allowed: false, reason: "private-address" });
    }
    expect(checkAddress("example.com", "93.184.215.14", none)).toEqual({ allowed: true, range: "public" });
  });

  it("lets an allow-listed host or CIDR reach private addresses, but never link-local or metadata", () => {
    const policy = compileFetchPolicy({ allow: ["wiki.corp.example", "10.20.0.0/16", "*.intranet.example"], deny: [] });
    expect(checkAddress("wiki.corp.example", "10.1.2.3", policy).allowed).toBe(true);
    expect(checkAddress("docs.intranet.example", "192.168.3.4", policy).allowed).toBe(true);
    expect(checkAddress("anything.example", "10.20.9.9", policy).allowed).toBe(true);
    expect(checkAddress("anything.example", "10.21.9.9", policy).allowed).toBe(false);
    expect(checkAddress("intranet.example", "192.168.3.4", policy).allowed).toBe(false);
    expect(checkAddress("wiki.corp.example", "169.254.169.254", policy)).toMatchObject({ allowed: false, range: "metadata" });
    expect(checkAddress("wiki.corp.example", "fe80::1", policy)).toMatchObject({ allowed: false, range: "link-local" });
    expect(checkAddress("wiki.corp.example", "0.0.0.0", policy).allowed).toBe(false);
    const everything = compileFetchPolicy({ allow: ["0.0.0.0/0", "::/0"], deny: [] });
    expect(checkAddress("x.example", "169.254.169.254", everything).allowed).toBe(false);
    expect(checkAddress("x.example", "10.0.0.1", everything).allowed).toBe(true);
  });

  it("lets deny win over allow and over a public address", () => {
    const policy = compileFetchPolicy({ allow: ["*.example.com", "127.0.0.1"], deny: ["bad.example.com", "93.184.0.0/16", "127.0.0.1"] });
    expect(checkAddress("bad.example.com", "8.8.8.8", policy)).toMatchObject({ allowed: false, reason: "denied-by-policy" });
    expect(checkAddress("good.example.com", "93.184.215.14", policy)).toMatchObject({ allowed: false, reason: "denied-by-policy" });
    expect(checkAddress("localhost", "127.0.0.1", policy)).toMatchObject({ allowed: false, reason: "denied-by-policy" });
    expect(checkAddress("good.example.com", "8.8.8.8", policy).allowed).toBe(true);
  });
});

describe("policy entries", () => {
  it("parses hosts, wildcards, addresses and CIDRs into one canonical spelling", () => {
    const text = (raw: string) => {
      const parsed = parsePolicyEntry(raw);
      return "text" in parsed ? parsed.text : `error: ${parsed.error}`;
    };
    expect(text("Wiki.Corp.Example.")).toBe("wiki.corp.example");
    expect(text("*.Example.COM")).toBe("*.example.com");
    expect(text("bücher.example")).toBe("xn--bcher-kva.example");
    expect(text("10.20.30.40/16")).toBe("10.20.0.0/16");
    expect(text("FD12:3456::/48")).toBe("fd12:3456::/48");
    expect(text("[::1]")).toBe("::1");
    expect(text("192.168.0.1")).toBe("192.168.0.1");
    for (const bad of [
      "",
      "http://x.example",
      "a..b",
      "*.com",
      "foo*.example",
      "10.0.0.0/33",
      "::/129",
      "-x.example",
      "x y",
      "10.0.0.0/x",
    ]) {
      expect(text(bad), bad).toMatch(/^error: /);
    }
  });

  it("matches a wildcard on subdomains only", () => {
    const { allow } = compileFetchPolicy({ allow: ["*.example.com"], deny: [] });
    expect(matchesHost(allow, "a.example.com")).toBe(true);
    expect(matchesHost(allow, "a.b.example.com")).toBe(true);
    expect(matchesHost(allow, "example.com")).toBe(false);
    expect(matchesHost(allow, "badexample.com")).toBe(false);
  });
});
