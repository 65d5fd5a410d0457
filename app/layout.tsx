import type { Metadata } from "next";
import { headers } from "next/headers";
import { connection } from "next/server";
import type { ReactNode } from "react";
import { themeScript } from "@/components/theme/theme-script";
import { ThemeSync } from "@/components/theme/theme-toggle";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Chorus", template: "%s · Chorus" },
  description: "Multi-agent orchestration: plan, run agents in parallel, watch every token.",
  // Declared, so browsers do not ask for /favicon.ico (a 404, logged as a console error on every page).
  icons: { icon: "/favicon.svg" },
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Every page is rendered per request, error and not-found pages included, so each carries
  // the script nonce of its request's Content-Security-Policy (server/http/content-security.ts).
  await connection();
  // The theme script needs that nonce too (absent in development, where no policy is set).
  const nonce = /'nonce-([^']+)'/.exec((await headers()).get("content-security-policy") ?? "")?.[1];
  return (
    // The theme script sets <html>'s class before React hydrates: not a mismatch to report.
    <html lang="en" suppressHydrationWarning>
      <head>
        <script nonce={nonce} suppressHydrationWarning dangerouslySetInnerHTML={{ __html: themeScript }} />
      </head>
      <body className="min-h-screen font-sans">
        <a
          href="#main"
          className="sr-only z-50 rounded-md bg-white px-3 py-2 text-sm font-medium text-indigo-700 shadow focus:not-sr-only focus:fixed focus:left-3 focus:top-3"
        >
          Skip to content
        </a>
        <ThemeSync />
        {children}
      </body>
    </html>
  );
}
