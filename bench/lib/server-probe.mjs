// Preloaded into the Chorus server by the end-to-end benchmark (NODE_OPTIONS=--import …),
// never by Chorus itself. It changes nothing Chorus does; it only observes:
//   - counts the SQL statements the server sends (wraps pg's Client.prototype.query), by shape;
//   - optionally takes a CPU profile of the server (BENCH_PROBE_PROFILE=1).
// Measurement windows are driven by signals: the first SIGUSR2 starts a window (counters
// reset, profiler started), the next one ends it and writes BENCH_PROBE_FILE (JSON) and, when
// profiling, BENCH_PROBE_FILE.cpuprofile — each file suffixed with `.<pid>`, so that the
// processes of a server with CHORUS_WORKERS (a primary and its workers, all running
// bin/start.mjs) each report their own window; bench/lib/server.ts adds them up. Only the server
// entry (bin/start.mjs) is probed, not the `next build` children that inherit NODE_OPTIONS.
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const outFile = process.env.BENCH_PROBE_FILE ? `${process.env.BENCH_PROBE_FILE}.${process.pid}` : undefined;
const entry = process.argv[1] ?? "";
if (outFile && entry.endsWith(path.join("bin", "start.mjs"))) {
  const root = path.resolve(path.dirname(entry), "..");
  const pg = createRequire(path.join(root, "package.json"))("pg");
  const shapes = new Map();
  let statements = 0;
  let windowOpen = false;
  const original = pg.Client.prototype.query;
  pg.Client.prototype.query = function probeQuery(config, ...rest) {
    if (windowOpen) {
      const text = typeof config === "string" ? config : config && typeof config.text === "string" ? config.text : undefined;
      if (text !== undefined) {
        statements++;
        const shape = text
          .replace(/'(?:[^']|'')*'/g, "'…'")
          .replace(/\s+/g, " ")
          .trim()
          .slice(0, 140);
        shapes.set(shape, (shapes.get(shape) ?? 0) + 1);
      }
    }
    return original.call(this, config, ...rest);
  };

  let session;
  let startedAt = 0;
  let cpuAtStart;
  process.on("SIGUSR2", () => {
    void (async () => {
      if (!windowOpen) {
        statements = 0;
        shapes.clear();
        startedAt = performance.now();
        cpuAtStart = process.cpuUsage();
        windowOpen = true;
        if (process.env.BENCH_PROBE_PROFILE === "1") {
          const { Session } = await import("node:inspector/promises");
          session = new Session();
          session.connect();
          await session.post("Profiler.enable");
          await session.post("Profiler.setSamplingInterval", { interval: 500 });
          await session.post("Profiler.start");
        }
        writeFileSync(`${outFile}.started`, String(Date.now()));
        return;
      }
      windowOpen = false;
      const cpu = process.cpuUsage(cpuAtStart);
      const result = {
        seconds: (performance.now() - startedAt) / 1000,
        cpuMs: (cpu.user + cpu.system) / 1000,
        statements,
        shapes: [...shapes.entries()].sort((a, b) => b[1] - a[1]),
      };
      if (session) {
        const { profile } = await session.post("Profiler.stop");
        session.disconnect();
        session = undefined;
        writeFileSync(`${outFile}.cpuprofile`, JSON.stringify(profile));
      }
      writeFileSync(outFile, JSON.stringify(result));
    })();
  });
}
