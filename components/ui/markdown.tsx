"use client";

import DOMPurify from "dompurify";
import { marked } from "marked";
import { useEffect, useState } from "react";

/** Renders model-written markdown. Always sanitised (in the browser, by DOMPurify): model output is untrusted input. */
export function Markdown({ source, className = "" }: { source: string; className?: string }) {
  const [html, setHtml] = useState<string | null>(null);
  useEffect(() => {
    const raw = marked.parse(source, { async: false, gfm: true });
    // eslint-disable-next-line react-hooks/set-state-in-effect -- DOMPurify needs the browser: the server renders the plain text, hydration swaps in the HTML
    setHtml(DOMPurify.sanitize(raw, { USE_PROFILES: { html: true }, FORBID_TAGS: ["style", "form", "input"], FORBID_ATTR: ["style"] }));
  }, [source]);
  if (html === null) return <div className={`whitespace-pre-wrap ${className}`}>{source}</div>;
  return <div className={`prose-chorus ${className}`} dangerouslySetInnerHTML={{ __html: html }} />;
}
