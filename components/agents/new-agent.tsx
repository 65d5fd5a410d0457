"use client";

import { useState } from "react";
import { Button } from "@/components/ui/button";
import type { AgentToolChoice } from "@/server/teams/agent-definitions";
import { AgentEditor } from "./agent-editor";

/** The "New agent" button on the agents page, opening the editor in place (admins only). */
export function NewAgent({ tools, outputFormats }: { tools: AgentToolChoice[]; outputFormats: string[] }) {
  const [open, setOpen] = useState(false);
  if (!open) {
    return (
      <Button type="button" onClick={() => setOpen(true)}>
        New agent
      </Button>
    );
  }
  return (
    <section aria-labelledby="new-agent-heading" className="rounded-xl border border-slate-200 bg-white p-5 shadow-sm">
      <div className="mb-3 flex items-center justify-between gap-2">
        <h3 id="new-agent-heading" className="text-base font-semibold">
          New agent
        </h3>
        <Button type="button" variant="secondary" onClick={() => setOpen(false)}>
          Cancel
        </Button>
      </div>
      <AgentEditor mode="create" tools={tools} outputFormats={outputFormats} readOnly={false} />
    </section>
  );
}
