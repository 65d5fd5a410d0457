/**
 * `GET /api/metrics`: the Prometheus scrape. With CHORUS_METRICS_TOKEN set it answers only to
 * `Authorization: Bearer <token>`; without one it answers only to a scraper on this machine
 * (a loopback peer, through no proxy — a request a reverse proxy forwarded carries
 * `X-Forwarded-For` or `Forwarded`, and could have come from anywhere). Anything else is a 401,
 * as JSON like every refusal. Metrics name no team and hold no secret, but they do describe the
 * instance's load and its models, so they are not public. With CHORUS_METRICS=off it answers a
 * JSON 404 saying metrics are off (after the same check, so it reveals nothing more).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { CLIENT_ADDRESS_HEADER } from "@/server/auth/sign-in-throttle";
import { observeDatabase } from "@/server/db/observe-database";
import { getEnv } from "@/server/env";
import { AppError } from "@/server/errors";
import { scrapeMetrics } from "@/server/observability/cluster-metrics";
import { metricsOff } from "@/server/observability/metrics-switch";
import { bearerToken } from "@/server/auth/api-keys";

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

const digest = (text: string) => createHash("sha256").update(text).digest();

export function assertMayScrape(headers: Headers): void {
  const token = getEnv().CHORUS_METRICS_TOKEN;
  if (token !== undefined) {
    const offered = bearerToken(headers.get("authorization") ?? "");
    if (offered !== undefined && timingSafeEqual(digest(offered), digest(token))) return;
    throw new AppError("unauthorized", "Send Authorization: Bearer <CHORUS_METRICS_TOKEN> to read the metrics", "authorization");
  }
  const peer = headers.get(CLIENT_ADDRESS_HEADER) ?? "";
  const proxied = headers.has("x-forwarded-for") || headers.has("forwarded");
  if (LOOPBACK.test(peer) && !proxied) return;
  throw new AppError(
    "unauthorized",
    "Set CHORUS_METRICS_TOKEN to read the metrics from another machine or through a proxy",
    "authorization",
  );
}

/** The scrape's answer: Prometheus text (the whole cluster's, with CHORUS_WORKERS > 1); a 404 saying so when metrics are off. */
export async function metricsResponse(headers: Headers): Promise<Response> {
  assertMayScrape(headers);
  if (!getEnv().CHORUS_METRICS || metricsOff()) {
    throw new AppError("not_found", "Metrics are off on this server (CHORUS_METRICS=off): nothing is collected", "path");
  }
  observeDatabase();
  const { text, contentType } = await scrapeMetrics();
  return new Response(text, { status: 200, headers: { "Content-Type": contentType, "Cache-Control": "no-store" } });
}
