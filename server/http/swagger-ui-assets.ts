import { readFile } from "node:fs/promises";
import path from "node:path";

/**
 * swagger-ui-dist's script, which the API reference page loads, served from our own origin (no
 * CDN: the page must work offline and under our Content-Security-Policy, which allows scripts
 * only from here). Read from the installed package once per process; cached by browsers for a
 * day. Any other name is a 404, so this never serves more of node_modules than this file. (Its
 * style sheet is imported by the page's component and bundled by Next.)
 */
const ASSETS: Record<string, { file: () => string; contentType: string }> = {
  "swagger-ui-bundle.js": {
    file: () => path.join(process.cwd(), "node_modules/swagger-ui-dist/swagger-ui-bundle.js"),
    contentType: "text/javascript; charset=utf-8",
  },
};

const loaded = new Map<string, Promise<Buffer>>();

export async function swaggerUiAsset(name: string): Promise<Response> {
  const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
  if (!asset) return new Response("Not found", { status: 404, headers: { "Content-Type": "text/plain; charset=utf-8" } });
  let body = loaded.get(name);
  if (!body) {
    body = readFile(asset.file());
    loaded.set(name, body);
    body.catch(() => loaded.delete(name));
  }
  return new Response(new Uint8Array(await body), {
    headers: { "Content-Type": asset.contentType, "Cache-Control": "public, max-age=86400" },
  });
}
