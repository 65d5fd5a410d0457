"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useTRPC } from "@/components/providers";
import { ConfirmAction } from "@/components/ui/confirm-action";
import { ErrorNote } from "@/components/ui/error-note";

/** Deletes a dataset (admins) after an explicit confirmation: every version and every experiment that ran it go with it. */
export function DeleteDatasetButton({ id, name }: { id: string; name: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const remove = useMutation(trpc.evalDatasets.delete.mutationOptions({ onSuccess: () => router.push("/evals/datasets") }));
  return (
    <div className="space-y-2">
      <ConfirmAction
        trigger={remove.isPending ? "Deleting…" : "Delete dataset…"}
        question={`Delete “${name}”?`}
        consequence="Every version of its cases and every experiment that ran it are deleted too. This cannot be undone."
        confirmLabel="Yes, delete it"
        keepLabel="Keep it"
        disabled={remove.isPending}
        onConfirm={() => remove.mutate({ id })}
      />
      <ErrorNote error={remove.error} />
    </div>
  );
}
