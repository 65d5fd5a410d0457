/**
 * CHORUS_METRICS=off, as the metrics see it: a flag the process entry sets from the validated
 * configuration before metrics.ts is first loaded (this module imports nothing, so setting it
 * loads no prom-client). Off, nothing is counted on any request, step or model call, and Node's
 * default process metrics are not collected — the baseline the metrics' cost is measured against.
 * On globalThis, so Next's bundled copy of the metrics sees the same switch.
 */
const OFF = Symbol.for("chorus.metrics.off");
type GlobalWithSwitch = typeof globalThis & { [OFF]?: boolean };
const shared = globalThis as GlobalWithSwitch;

export function switchMetrics(on: boolean): void {
  shared[OFF] = !on;
}

export function metricsOff(): boolean {
  return shared[OFF] === true;
}
