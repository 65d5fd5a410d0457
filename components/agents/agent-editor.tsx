"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useId, useState, type ReactNode } from "react";
import { Button } from "@/components/ui/button";
import { useTRPC } from "@/components/providers";
import type { AgentToolChoice } from "@/server/teams/agent-definitions";
import type { AgentVersionFields } from "@/server/db/queries/agent-definitions";

/** A team agent's fields as the editor holds them. */
export type AgentFormValues = AgentVersionFields & { kind: string };

const emptyAgent: AgentFormValues = {
  kind: "",
  name: "",
  description: "",
  instructions: "",
  capabilities: [],
  modelId: null,
  tools: [],
  outputFormat: "markdown",
};

const CUSTOM_FORMAT = "custom";

const inputClass =
  "block w-full rounded-md border border-slate-300 px-3 py-2 shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500 disabled:bg-slate-50 disabled:text-slate-600 aria-[invalid=true]:border-red-600";

/**
 * Creates a team agent, or edits one: saving an edit writes a new version (the server answers
 * whether anything changed). Members without "manage" see the same form, read-only.
 */
export function AgentEditor({
  mode,
  initial = emptyAgent,
  tools,
  outputFormats,
  readOnly,
}: {
  mode: "create" | "edit";
  initial?: AgentFormValues;
  tools: AgentToolChoice[];
  outputFormats: string[];
  readOnly: boolean;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const id = useId();
  const [values, setValues] = useState(initial);
  const [capabilities, setCapabilities] = useState(initial.capabilities.join(", "));
  const isPreset = outputFormats.includes(initial.outputFormat);
  const [formatChoice, setFormatChoice] = useState(isPreset ? initial.outputFormat : CUSTOM_FORMAT);
  const [customFormat, setCustomFormat] = useState(isPreset ? "" : initial.outputFormat);
  const [saved, setSaved] = useState<string | undefined>();

  const create = useMutation(
    trpc.agent.create.mutationOptions({ onSuccess: (agent) => router.push(`/settings/agents/${encodeURIComponent(agent.kind)}`) }),
  );
  const update = useMutation(
    trpc.agent.update.mutationOptions({
      onSuccess: (agent) => {
        setSaved(agent.changed ? `Saved as version ${agent.version}.` : `Nothing changed: still version ${agent.version}.`);
        router.refresh();
      },
    }),
  );
  const pending = create.isPending || update.isPending;
  const error = create.error ?? update.error;
  const errorField = (error?.data as { field?: string } | undefined)?.field?.split(".")[0];

  const set = <K extends keyof AgentFormValues>(key: K, value: AgentFormValues[K]) => {
    setSaved(undefined);
    setValues((current) => ({ ...current, [key]: value }));
  };

  function submit() {
    const fields = {
      name: values.name,
      description: values.description,
      instructions: values.instructions,
      capabilities: capabilities
        .split(",")
        .map((capability) => capability.trim())
        .filter(Boolean),
      modelId: values.modelId?.trim() ? values.modelId.trim() : undefined,
      tools: values.tools,
      outputFormat: formatChoice === CUSTOM_FORMAT ? customFormat : formatChoice,
    };
    if (mode === "create") create.mutate({ kind: values.kind, ...fields });
    else update.mutate({ kind: values.kind, ...fields });
  }

  const field = (name: string) => ({
    id: `${id}-${name}`,
    "aria-describedby": `${id}-${name}-hint`,
    "aria-invalid": errorField === name,
    disabled: readOnly || pending,
  });

  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        if (!readOnly) submit();
      }}
      className="space-y-4"
      aria-label={mode === "create" ? "New agent" : "Agent settings"}
    >
      {readOnly ? (
        <p className="rounded-md bg-slate-100 px-3 py-2 text-sm text-slate-700">Only admins can change agents; you can read this one.</p>
      ) : null}
      {mode === "create" ? (
        <Field label="Kind" htmlFor={`${id}-kind`} hint="How plans and the API name it: lower-case letters, digits and dashes.">
          <input
            {...field("kind")}
            required
            maxLength={40}
            pattern="[a-z0-9][a-z0-9\-]*"
            value={values.kind}
            onChange={(event) => set("kind", event.target.value)}
            className={inputClass}
            autoComplete="off"
          />
        </Field>
      ) : null}
      <Field label="Name" htmlFor={`${id}-name`}>
        <input
          {...field("name")}
          required
          maxLength={80}
          value={values.name}
          onChange={(event) => set("name", event.target.value)}
          className={inputClass}
        />
      </Field>
      <Field
        label="Description"
        htmlFor={`${id}-description`}
        hint="One sentence: what it is good at. Other agents see it when they ask for help."
      >
        <input
          {...field("description")}
          required
          maxLength={500}
          value={values.description}
          onChange={(event) => set("description", event.target.value)}
          className={inputClass}
        />
      </Field>
      <Field label="Instructions" htmlFor={`${id}-instructions`} hint="How it should work. Chorus adds its own rules around them.">
        <textarea
          {...field("instructions")}
          required
          rows={8}
          maxLength={8000}
          value={values.instructions}
          onChange={(event) => set("instructions", event.target.value)}
          className={inputClass}
        />
      </Field>
      <Field
        label="Capabilities"
        htmlFor={`${id}-capabilities`}
        hint="Comma-separated. The planner routes a step to this agent when the task asks for one of them."
      >
        <input
          {...field("capabilities")}
          required
          value={capabilities}
          onChange={(event) => {
            setSaved(undefined);
            setCapabilities(event.target.value);
          }}
          className={inputClass}
        />
        <ul className="mt-2 flex flex-wrap gap-1" aria-label="Capabilities as the planner sees them">
          {capabilities
            .split(",")
            .map((capability) => capability.trim())
            .filter(Boolean)
            .map((capability) => (
              <li key={capability} className="rounded-full bg-indigo-50 px-2 py-0.5 text-xs text-indigo-800">
                {capability}
              </li>
            ))}
        </ul>
      </Field>
      <Field label="Model" htmlFor={`${id}-modelId`} hint="A model id of the configured provider; empty uses the default model.">
        <input
          {...field("modelId")}
          maxLength={200}
          value={values.modelId ?? ""}
          onChange={(event) => set("modelId", event.target.value || null)}
          className={inputClass}
          placeholder="default"
        />
      </Field>
      <fieldset aria-invalid={errorField === "tools"} disabled={readOnly || pending}>
        <legend className="text-sm font-medium text-slate-700">Tools</legend>
        <div className="mt-2 grid gap-2 sm:grid-cols-2">
          {tools.map((tool) => (
            <label key={tool.name} className="flex items-start gap-2 rounded-md border border-slate-200 p-2 text-sm">
              <input
                type="checkbox"
                className="mt-0.5 h-4 w-4 rounded border-slate-300"
                checked={values.tools.includes(tool.name)}
                onChange={(event) =>
                  set("tools", event.target.checked ? [...values.tools, tool.name] : values.tools.filter((name) => name !== tool.name))
                }
              />
              <span>
                <span className="font-medium text-slate-800">{tool.label}</span>
                <span className="block text-xs text-slate-500">{tool.description}</span>
              </span>
            </label>
          ))}
        </div>
      </fieldset>
      <Field label="Output format" htmlFor={`${id}-outputFormat`}>
        <select
          {...field("outputFormat")}
          value={formatChoice}
          onChange={(event) => {
            setSaved(undefined);
            setFormatChoice(event.target.value);
          }}
          className={inputClass}
        >
          {outputFormats.map((format) => (
            <option key={format} value={format}>
              {format === "json" ? "JSON" : format[0]!.toUpperCase() + format.slice(1)}
            </option>
          ))}
          <option value={CUSTOM_FORMAT}>Custom instructions…</option>
        </select>
        {formatChoice === CUSTOM_FORMAT ? (
          <textarea
            id={`${id}-format-custom`}
            aria-label="Custom output format instructions"
            aria-invalid={errorField === "outputFormat"}
            disabled={readOnly || pending}
            required
            rows={3}
            maxLength={2000}
            value={customFormat}
            onChange={(event) => {
              setSaved(undefined);
              setCustomFormat(event.target.value);
            }}
            className={`${inputClass} mt-2`}
            placeholder="e.g. A table with one row per risk: risk, severity, fix."
          />
        ) : null}
      </Field>
      {error ? (
        <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">
          {errorField ? `${errorField}: ` : ""}
          {error.message}
        </p>
      ) : null}
      {saved ? (
        <p role="status" className="rounded-md bg-green-50 px-3 py-2 text-sm text-green-800">
          {saved}
        </p>
      ) : null}
      {readOnly ? null : (
        <Button type="submit" disabled={pending}>
          {pending ? "Saving…" : mode === "create" ? "Create agent" : "Save as new version"}
        </Button>
      )}
    </form>
  );
}

function Field({ label, htmlFor, hint, children }: { label: string; htmlFor: string; hint?: string; children: ReactNode }) {
  return (
    <div>
      <label htmlFor={htmlFor} className="block text-sm font-medium text-slate-700">
        {label}
      </label>
      {hint ? (
        <p id={`${htmlFor}-hint`} className="mb-1 text-xs text-slate-500">
          {hint}
        </p>
      ) : null}
      <div className={hint ? "" : "mt-1"}>{children}</div>
    </div>
  );
}
