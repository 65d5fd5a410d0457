/**
 * A stand-in for an OpenTelemetry collector's OTLP/HTTP trace receiver, for benchmarks: accepts
 * `POST /v1/traces` in the JSON encoding Chorus's exporter sends, answers the empty
 * ExportTraceServiceResponse at once, and counts the spans. It counts `"spanId":` keys rather
 * than parsing each export, so the load generator's share of the two cores stays small (a span's
 * parent is `"parentSpanId"`, which this does not match). tests/support/otlp-collector.ts is
 * the full decoder the tests assert with.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface OtlpSink {
  url: string;
  spans: number;
  exports: number;
  bytes: number;
  refused: number;
  close(): Promise<void>;
}

const SPAN_KEY = '"spanId":';

function occurrences(text: string, needle: string): number {
  let count = 0;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) count++;
  return count;
}

export async function startOtlpSink(): Promise<OtlpSink> {
  const counts = { spans: 0, exports: 0, bytes: 0, refused: 0 };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      if (request.method !== "POST" || request.url !== "/v1/traces") {
        counts.refused++;
        response.writeHead(404, { "Content-Type": "application/json" }).end("{}");
        return;
      }
      const body = Buffer.concat(chunks);
      counts.exports++;
      counts.bytes += body.length;
      counts.spans += occurrences(body.toString("utf8"), SPAN_KEY);
      response.writeHead(200, { "Content-Type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(counts, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
