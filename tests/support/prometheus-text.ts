/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4), for tests: every
 * line must be a `# HELP`, a `# TYPE` or a sample of a family whose type was declared, with
 * well-formed labels and a number — so a malformed scrape fails the test that reads it.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/y;
const SUFFIXES = ["_bucket", "_sum", "_count", "_total", ""];

export function parsePrometheusText(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("# HELP ")) continue;
    if (line.startsWith("# TYPE ")) {
      const [name, type] = line.slice(7).split(" ");
      if (!name || !["counter", "gauge", "histogram", "summary", "untyped"].includes(type ?? "")) throw new Error(`bad TYPE line: ${line}`);
      types.set(name, type!);
      continue;
    }
    const found = SAMPLE.exec(line);
    if (!found) throw new Error(`not a sample line: ${line}`);
    const [, name, , labelText, valueText] = found;
    const family = SUFFIXES.map((suffix) => (name!.endsWith(suffix) ? name!.slice(0, name!.length - suffix.length) : "")).find(
      (base) => base !== "" && types.has(base),
    );
    if (!types.has(name!) && family === undefined) throw new Error(`a sample of an undeclared family: ${line}`);
    const labels: Record<string, string> = {};
    if (labelText) {
      LABEL.lastIndex = 0;
      while (LABEL.lastIndex < labelText.length) {
        const label = LABEL.exec(labelText);
        if (!label) throw new Error(`bad labels: ${line}`);
        labels[label[1]!] = label[2]!.replace(/\\"/g, '"').replace(/\\n/g, "\n").replace(/\\\\/g, "\\");
      }
    }
    // Prometheus reads NaN and the infinities in any case (Go's ParseFloat); prom-client writes `Nan`.
    const special: Record<string, number> = { "+inf": Infinity, inf: Infinity, "-inf": -Infinity, nan: NaN };
    const value = special[valueText!.toLowerCase()] ?? Number(valueText);
    if (Number.isNaN(value) && valueText!.toLowerCase() !== "nan") throw new Error(`bad value: ${line}`);
    samples.push({ name: name!, labels, value });
  }
  return { types, samples };
}

/** The sum of the samples named `name` whose labels include `labels` (0 when there is none). */
export function sumOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
    .reduce((total, sample) => total + sample.value, 0);
}
