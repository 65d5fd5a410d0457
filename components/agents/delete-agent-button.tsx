"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { useTRPC } from "@/components/providers";

/**
 * Deletes a team agent after a second, explicit confirmation. Tasks that already recorded one
 * of its versions still run it; new tasks can no longer use it.
 */
export function DeleteAgentButton({ kind, name }: { kind: string; name: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [confirming, setConfirming] = useState(false);
  const remove = useMutation(trpc.agent.delete.mutationOptions({ onSuccess: () => router.push("/settings/agents") }));

  if (!confirming) {
    return (
      <Button type="button" variant="secondary" onClick={() => setConfirming(true)}>
        Delete agent…
      </Button>
    );
  }
  return (
    <div role="group" aria-labelledby="delete-agent-question" className="space-y-2 rounded-md border border-red-200 bg-red-50 p-3">
      <p id="delete-agent-question" className="text-sm text-red-900">
        Delete “{name}”? New tasks can no longer use it; tasks already planned with it finish with the version they recorded. Its kind can
        be defined again.
      </p>
      {remove.error ? (
        <p role="alert" className="text-sm text-red-800">
          {remove.error.message}
        </p>
      ) : null}
      <div className="flex flex-wrap gap-2">
        <Button type="button" className="bg-red-700 hover:bg-red-800" disabled={remove.isPending} onClick={() => remove.mutate({ kind })}>
          {remove.isPending ? "Deleting…" : "Yes, delete it"}
        </Button>
        {/* Focus lands on the safe choice. */}
        <Button type="button" variant="secondary" autoFocus onClick={() => setConfirming(false)} disabled={remove.isPending}>
          Keep it
        </Button>
      </div>
    </div>
  );
}
