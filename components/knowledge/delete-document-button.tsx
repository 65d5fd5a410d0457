"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useTRPC } from "@/components/providers";
import { Button } from "@/components/ui/button";

/** Deletes a document after a second, explicit confirmation (its passages go with it; there is no undo). */
export function DeleteDocumentButton({ id, title, redirectTo }: { id: string; title: string; redirectTo?: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [confirming, setConfirming] = useState(false);
  const remove = useMutation(
    trpc.knowledge.delete.mutationOptions({
      onSuccess: () => {
        if (redirectTo) router.push(redirectTo);
        router.refresh();
      },
    }),
  );
  if (!confirming) {
    return (
      <Button variant="secondary" onClick={() => setConfirming(true)} aria-label={`Delete ${title}`}>
        Delete
      </Button>
    );
  }
  return (
    <div role="group" aria-label={`Confirm deleting ${title}`} className="flex flex-wrap items-center gap-2">
      <span className="text-sm text-slate-700">Delete “{title}” for the whole team?</span>
      <Button className="bg-red-700 hover:bg-red-800" disabled={remove.isPending} onClick={() => remove.mutate({ id })} autoFocus>
        {remove.isPending ? "Deleting…" : "Yes, delete"}
      </Button>
      <Button variant="secondary" disabled={remove.isPending} onClick={() => setConfirming(false)}>
        Cancel
      </Button>
      {remove.error ? (
        <p role="alert" className="w-full text-sm text-red-800">
          {remove.error.message}
        </p>
      ) : null}
    </div>
  );
}
