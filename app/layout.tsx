import type { Metadata } from "next";
import { connection } from "next/server";
import type { ReactNode } from "react";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Chorus", template: "%s · Chorus" },
  description: "Multi-agent orchestration: plan, run agents in parallel, watch every token.",
  // Named, so browsers do not ask for a /favicon.ico there is none of (a 404 in every page's console).
  icons: { icon: "/favicon.svg" },
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Every page is rendered per request, error and not-found pages included, so each carries
  // the script nonce of its request's Content-Security-Policy (server/http/content-security.ts).
  await connection();
  return (
    <html lang="en">
      <body className="min-h-screen font-sans">{children}</body>
    </html>
  );
}
