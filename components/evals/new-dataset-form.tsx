"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useId, useState } from "react";
import { useTRPC } from "@/components/providers";
import { Button } from "@/components/ui/button";
import { ErrorNote, settingsInputClass } from "@/components/ui/error-note";

/** Creates an empty dataset (version 1) and opens it, where cases are added, imported or taken from tasks. */
export function NewDatasetForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const id = useId();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const create = useMutation(
    trpc.evalDatasets.create.mutationOptions({ onSuccess: (dataset) => router.push(`/evals/datasets/${dataset.id}`) }),
  );
  const errorField = (create.error?.data as { field?: string } | undefined)?.field;

  return (
    <form
      aria-label="New dataset"
      className="space-y-3"
      onSubmit={(event) => {
        event.preventDefault();
        create.mutate({ name, ...(description.trim() ? { description } : {}) });
      }}
    >
      <div className="grid gap-3 sm:grid-cols-2">
        <div>
          <label htmlFor={`${id}-name`} className="block text-sm font-medium text-slate-800">
            Name
          </label>
          <input
            id={`${id}-name`}
            required
            maxLength={100}
            value={name}
            onChange={(event) => setName(event.target.value)}
            aria-invalid={errorField === "name"}
            className={settingsInputClass}
          />
        </div>
        <div>
          <label htmlFor={`${id}-description`} className="block text-sm font-medium text-slate-800">
            Description <span className="font-normal text-slate-500">(optional)</span>
          </label>
          <input
            id={`${id}-description`}
            maxLength={2000}
            value={description}
            onChange={(event) => setDescription(event.target.value)}
            className={settingsInputClass}
          />
        </div>
      </div>
      <ErrorNote error={create.error} />
      <Button type="submit" disabled={create.isPending}>
        {create.isPending ? "Creating…" : "Create dataset"}
      </Button>
    </form>
  );
}
