/** Small statistics, CPU accounting and table printing shared by the benchmarks. */
import { readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export function median(values: number[]): number {
  return quantile(values, 0.5);
}

export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}

export function mean(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

export const round = (value: number, digits = 2) => (Number.isFinite(value) ? Number(value.toFixed(digits)) : null);

/** Prints an aligned table; numbers are right-aligned. */
export function printTable(title: string, header: string[], rows: (string | number | null)[][]) {
  const cells = [header, ...rows.map((row) => row.map((cell) => (cell === null ? "–" : String(cell))))];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? "").length)));
  const numeric = header.map((_, column) => rows.every((row) => row[column] === null || typeof row[column] === "number"));
  const line = (row: string[]) =>
    "| " + row.map((cell, column) => (numeric[column] ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join(" | ") + " |";
  console.log(`\n${title}\n`);
  console.log(line(cells[0]!));
  console.log("|" + widths.map((width, column) => (numeric[column] ? "-".repeat(width + 1) + ":" : "-".repeat(width + 2))).join("|") + "|");
  for (const row of cells.slice(1)) console.log(line(row));
  console.log("");
}

export function printJson(value: Record<string, unknown>) {
  console.log(JSON.stringify(value));
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/**
 * CPU ticks of a process plus those of its children that exited and were reaped (cutime,
 * cstime): Postgres backends and autovacuum workers come and go, and their time must not
 * vanish from a total when they exit.
 */
function processCpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[0] is state (field 3); utime, stime, cutime, cstime are fields 14-17 → indexes 11-14.
    return Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  } catch {
    return 0;
  }
}

function parentOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return -1;
  }
}

/**
 * CPU milliseconds used so far by a process and all its descendants, live or reaped (e.g. a
 * postmaster and its backends). Only the resolution of the kernel's clock ticks (10 ms).
 */
export function treeCpuMs(rootPid: number): number {
  const pids = readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
  const children = new Map<number, number[]>();
  for (const pid of pids) {
    const parent = parentOf(pid);
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent)!.push(pid);
  }
  let ticks = 0;
  const stack = [rootPid];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    ticks += processCpuTicks(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}

/** The postmaster pid of an embedded cluster under `dataDir` (Chorus keeps it in `<dataDir>/pg`). */
export function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(dataDir, "pg", "postmaster.pid"), "utf8").split("\n")[0]);
    return Number.isInteger(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function nodeCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

export function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function machine() {
  const cpus = os.cpus();
  return { cpus: cpus.length, cpuModel: cpus[0]?.model ?? "unknown", node: process.version, date: new Date().toISOString() };
}
