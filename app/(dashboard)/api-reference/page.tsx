import type { Metadata } from "next";
import { dashboardCaller } from "@/server/auth/dashboard-caller";
import { ApiReference } from "@/components/api-reference/api-reference";

export const metadata: Metadata = { title: "API reference" };
export const dynamic = "force-dynamic";

/** The REST API's reference, rendered from the OpenAPI document the server generates. */
export default async function ApiReferencePage() {
  await dashboardCaller();
  return (
    <div className="space-y-4">
      <div className="space-y-2">
        <h1 className="text-2xl font-semibold">API reference</h1>
        <p className="text-sm text-slate-600">
          Every REST endpoint, generated from the same schemas the server validates with. Call it with an API key (
          <code>Authorization: Bearer chorus_…</code>); &ldquo;Try it out&rdquo; here uses your session. The document itself is at{" "}
          <a href="/api/v1/openapi.json" className="text-indigo-700 underline">
            /api/v1/openapi.json
          </a>{" "}
          — generate a typed client from it with <code>openapi-typescript</code>.
        </p>
      </div>
      <ApiReference specUrl="/api/v1/openapi.json" />
    </div>
  );
}
