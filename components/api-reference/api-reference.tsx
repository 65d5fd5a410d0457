"use client";

import { useEffect, useRef, useState } from "react";
// Bundled by Next with the page's own styles (served from /_next/static).
import "swagger-ui-dist/swagger-ui.css";

/**
 * Swagger UI (swagger-ui-dist, its script served from our origin by app/swagger-ui) rendering the OpenAPI
 * document. The script is added from here rather than with a <script> tag: under the pages'
 * Content-Security-Policy (`'strict-dynamic'` with a nonce) a script that Next's own, nonce'd
 * scripts insert may run, so the policy needs no exception for it.
 */
type SwaggerUIBundle = (options: Record<string, unknown>) => unknown;

const BUNDLE = "/swagger-ui/swagger-ui-bundle.js";
let bundleLoading: Promise<SwaggerUIBundle> | undefined;

function loadSwaggerUi(): Promise<SwaggerUIBundle> {
  bundleLoading ??= new Promise<SwaggerUIBundle>((resolve, reject) => {
    const script = document.createElement("script");
    script.src = BUNDLE;
    script.async = true;
    script.onload = () => {
      const bundle = (window as unknown as { SwaggerUIBundle?: SwaggerUIBundle }).SwaggerUIBundle;
      if (bundle) resolve(bundle);
      else reject(new Error("swagger-ui did not load"));
    };
    script.onerror = () => reject(new Error("swagger-ui could not be fetched"));
    document.head.append(script);
  }).catch((error: unknown) => {
    bundleLoading = undefined; // let a later visit try again
    throw error;
  });
  return bundleLoading;
}

export function ApiReference({ specUrl }: { specUrl: string }) {
  const container = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<"loading" | "ready" | "failed">("loading");

  useEffect(() => {
    let cancelled = false;
    loadSwaggerUi().then(
      (SwaggerUI) => {
        if (cancelled || !container.current) return;
        SwaggerUI({
          domNode: container.current,
          url: specUrl,
          // The default sends the document to validator.swagger.io: nothing leaves this origin.
          validatorUrl: null,
          deepLinking: true,
          docExpansion: "list",
          defaultModelsExpandDepth: 0,
          // Try-it-out requests carry the session cookie; writes pass the same-origin check.
          withCredentials: true,
        });
        setState("ready");
      },
      () => !cancelled && setState("failed"),
    );
    return () => {
      cancelled = true;
    };
  }, [specUrl]);

  return (
    <>
      {state === "loading" && (
        <p role="status" className="text-sm text-slate-500">
          Loading the API reference…
        </p>
      )}
      {state === "failed" && (
        <p role="alert" className="text-sm text-red-700">
          The API reference could not be loaded. The document is still at <a href={specUrl}>{specUrl}</a>.
        </p>
      )}
      <div ref={container} className="api-reference rounded-md border border-slate-200 bg-white" />
    </>
  );
}
