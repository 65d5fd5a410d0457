import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A real HTTP server on a loopback address for the web tools' tests: each test sets the handler,
 * and every request that reached the server is recorded, so a test can prove one never did.
 */
export interface LocalWebServer {
  url: string;
  port: number;
  host: string;
  requests: Array<{ method: string; url: string; headers: IncomingMessage["headers"]; body: string }>;
  handle(handler: (request: IncomingMessage, response: ServerResponse, body: string) => void): void;
  close(): Promise<void>;
}

export async function startLocalWebServer(host = "127.0.0.1", port = 0): Promise<LocalWebServer> {
  let handler: (request: IncomingMessage, response: ServerResponse, body: string) => void = (_request, response) =>
    response.writeHead(404).end();
  const requests: LocalWebServer["requests"] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      requests.push({ method: request.method ?? "GET", url: request.url ?? "/", headers: request.headers, body });
      handler(request, response, body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${bound}`,
    port: bound,
    host,
    requests,
    handle: (next) => (handler = next),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
