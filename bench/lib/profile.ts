/**
 * CPU profiles: take one of this process with the inspector (only around the measured
 * window), or read a `.cpuprofile` a server wrote with `--cpu-prof`, and summarise where the
 * samples fall — self time by package / source area and by function.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export async function profileWhile<T>(work: () => Promise<T>, file?: string): Promise<{ result: T; profile: CpuProfile }> {
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 200 });
  await session.post("Profiler.start");
  let result: T;
  try {
    result = await work();
  } finally {
    // stop even on failure, so the session does not leak
  }
  const { profile } = (await session.post("Profiler.stop")) as unknown as { profile: CpuProfile };
  session.disconnect();
  if (file) writeFileSync(file, JSON.stringify(profile));
  return { result, profile };
}

export function readProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
}

/** Which part of the stack a source file belongs to. */
export function areaOf(url: string, functionName: string): string {
  if (!url) {
    if (functionName === "(garbage collector)") return "(gc)";
    if (functionName === "(idle)" || functionName === "(program)" || functionName === "(root)") return functionName;
    return "(native)";
  }
  const modules = url.lastIndexOf("node_modules/");
  if (modules >= 0) {
    const rest = url.slice(modules + "node_modules/".length).split("/");
    const pkg = rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!;
    if (pkg === "next") {
      const sub = rest.slice(1).join("/");
      if (sub.includes("compiled/")) return `next (${sub.split("compiled/")[1]!.split("/")[0]})`;
      return "next";
    }
    return pkg;
  }
  if (url.startsWith("node:")) return "node:" + url.slice(5).split("/")[0];
  const next = url.indexOf("/.next/");
  if (next >= 0) {
    const rest = url.slice(next + 7);
    // Chorus's own code bundled by Next: keep the route/chunk name visible.
    return `.next/${rest.split("/").slice(0, 3).join("/")}`;
  }
  const chorus = url.match(/\/(app|server|inngest|components|bench)\/(.*)$/);
  if (chorus) return `chorus:${chorus[1]}/${chorus[2]!.split("/")[0]}`;
  return url.replace(/^file:\/\//, "");
}

export interface ProfileSummary {
  totalMs: number;
  byArea: { area: string; ms: number; share: number }[];
  byFunction: { name: string; area: string; ms: number; share: number }[];
  /** Time with the function anywhere on the stack (counted once per sample). */
  inclusive: { name: string; area: string; ms: number; share: number }[];
}

/** Self time per area and per function; idle time excluded from the shares. */
export function summarise(profile: CpuProfile, top = 25): ProfileSummary {
  const interval =
    profile.samples && profile.samples.length > 0 ? (profile.endTime - profile.startTime) / profile.samples.length / 1000 : 0;
  const byArea = new Map<string, number>();
  const byFunction = new Map<string, { area: string; ms: number }>();
  let total = 0;
  for (const node of profile.nodes) {
    const ms = (node.hitCount ?? 0) * interval;
    if (ms === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const area = areaOf(url, functionName);
    if (area === "(idle)") continue;
    total += ms;
    byArea.set(area, (byArea.get(area) ?? 0) + ms);
    const name = `${functionName || "(anonymous)"} ${url ? url.split("/").slice(-2).join("/") + ":" + (lineNumber + 1) : ""}`.trim();
    const entry = byFunction.get(name) ?? { area, ms: 0 };
    entry.ms += ms;
    byFunction.set(name, entry);
  }
  // Inclusive time: walk each sample's stack once.
  const parent = new Map<number, number>();
  const nodeById = new Map<number, ProfileNode>();
  for (const node of profile.nodes) {
    nodeById.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const inclusive = new Map<string, { area: string; ms: number }>();
  for (const leaf of profile.samples ?? []) {
    const leafNode = nodeById.get(leaf);
    if (!leafNode || areaOf(leafNode.callFrame.url, leafNode.callFrame.functionName) === "(idle)") continue;
    const seen = new Set<string>();
    for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) {
      const { functionName, url, lineNumber } = nodeById.get(id)!.callFrame;
      if (!url) continue;
      const name = `${functionName || "(anonymous)"} ${url.split("/").slice(-2).join("/")}:${lineNumber + 1}`;
      if (seen.has(name)) continue;
      seen.add(name);
      const entry = inclusive.get(name) ?? { area: areaOf(url, functionName), ms: 0 };
      entry.ms += interval;
      inclusive.set(name, entry);
    }
  }
  return {
    inclusive: [...inclusive.entries()]
      .map(([name, value]) => ({ name, area: value.area, ms: value.ms, share: value.ms / total }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top * 2),
    totalMs: total,
    byArea: [...byArea.entries()]
      .map(([area, ms]) => ({ area, ms, share: ms / total }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top),
    byFunction: [...byFunction.entries()]
      .map(([name, value]) => ({ name, area: value.area, ms: value.ms, share: value.ms / total }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top),
  };
}
