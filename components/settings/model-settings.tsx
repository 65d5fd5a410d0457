"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { ConfirmAction } from "@/components/ui/confirm-action";
import { useTRPC } from "@/components/providers";
import { ErrorNote, settingsInputClass } from "@/components/ui/error-note";

/**
 * Settings → Models: the team's providers (add, test, delete) and its routing (an ordered list of
 * provider + model per role and agent). Read-only for members who may not change them; the server
 * checks again. A key is typed once and never comes back: only ••••last4.
 */

type Kind = "openai" | "anthropic" | "openai-compatible";
type Api = "chat_completions" | "responses";
interface ProviderView {
  id: string;
  name: string;
  kind: Kind;
  baseUrl: string | null;
  keyLast4: string | null;
  api: Api;
}
interface Link {
  providerId: string;
  model: string;
}
type Routing = { default?: Link[]; planner?: Link[]; aggregator?: Link[]; agents?: Record<string, Link[]> };

const KIND_LABEL: Record<Kind, string> = { openai: "OpenAI", anthropic: "Anthropic", "openai-compatible": "OpenAI-compatible" };
// docs/models.md: Chat Completions is what every compatible server speaks; Responses is OpenAI's newer API.
const API_LABEL: Record<Api, string> = { chat_completions: "Chat Completions", responses: "Responses API" };

/** Which OpenAI wire API calls go through: shown for OpenAI and OpenAI-compatible providers only (Anthropic has one API). */
function ApiSelect({ value, onChange, disabled, label }: { value: Api; onChange: (api: Api) => void; disabled?: boolean; label: string }) {
  return (
    <label className="block text-sm font-medium text-slate-800">
      {label}
      <select className={inputClass} value={value} disabled={disabled} onChange={(event) => onChange(event.target.value as Api)}>
        {(Object.keys(API_LABEL) as Api[]).map((api) => (
          <option key={api} value={api}>
            {API_LABEL[api]}
          </option>
        ))}
      </select>
    </label>
  );
}
const inputClass = settingsInputClass;

export function ModelProviders({ providers, canManage }: { providers: ProviderView[]; canManage: boolean }) {
  return (
    <div className="space-y-3">
      {providers.length === 0 ? <p className="text-sm text-slate-500">No providers yet: tasks use this instance&apos;s provider.</p> : null}
      <ul className="space-y-2">
        {providers.map((provider) => (
          <ProviderItem key={provider.id} provider={provider} canManage={canManage} />
        ))}
      </ul>
      {canManage ? <AddProviderForm /> : <p className="text-sm text-slate-500">Only admins can add or change providers.</p>}
    </div>
  );
}

function ProviderItem({ provider, canManage }: { provider: ProviderView; canManage: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const test = useMutation(trpc.models.testProvider.mutationOptions());
  const remove = useMutation(trpc.models.deleteProvider.mutationOptions({ onSuccess: () => router.refresh() }));
  const changeApi = useMutation(trpc.models.updateProvider.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <li className="space-y-2 rounded-xl border border-slate-200 bg-white p-4 shadow-sm">
      <div className="flex flex-wrap items-baseline gap-x-3 gap-y-1">
        <span className="font-medium">{provider.name}</span>
        <span className="text-sm text-slate-600">{KIND_LABEL[provider.kind]}</span>
        {provider.baseUrl ? <code className="break-all text-xs text-slate-500">{provider.baseUrl}</code> : null}
        <span className="text-sm text-slate-600" aria-label={provider.keyLast4 ? `key ending in ${provider.keyLast4}` : "no key"}>
          {provider.keyLast4 ? `••••${provider.keyLast4}` : "no key"}
        </span>
        {provider.kind !== "anthropic" ? <span className="text-sm text-slate-600">{API_LABEL[provider.api]}</span> : null}
      </div>
      {canManage && provider.kind !== "anthropic" ? (
        <div className="max-w-xs">
          <ApiSelect
            label={`API for ${provider.name}`}
            value={(!changeApi.isError && changeApi.variables?.api) || provider.api}
            disabled={changeApi.isPending}
            onChange={(api) => changeApi.mutate({ id: provider.id, api })}
          />
        </div>
      ) : null}
      {canManage ? (
        <div className="flex flex-wrap items-center gap-2">
          <Button type="button" variant="secondary" disabled={test.isPending} onClick={() => test.mutate({ id: provider.id })}>
            {test.isPending ? "Testing…" : "Test key"}
          </Button>
          <ConfirmAction
            trigger="Delete…"
            question={`Delete “${provider.name}”?`}
            consequence="Every route to it is removed; an agent left with no route uses the team's default model."
            confirmLabel={remove.isPending ? "Deleting…" : "Yes, delete it"}
            keepLabel="Keep it"
            disabled={remove.isPending}
            onConfirm={() => remove.mutate({ id: provider.id })}
          />
        </div>
      ) : null}
      {test.data ? (
        <p role="status" className={`text-sm ${test.data.ok ? "text-green-700" : "text-red-800"}`}>
          {test.data.ok
            ? `Key works. Models: ${(test.data.models ?? []).join(", ") || "none listed"}`
            : `Key check failed: ${test.data.error}`}
        </p>
      ) : null}
      <ErrorNote error={test.error ?? remove.error ?? changeApi.error} />
    </li>
  );
}

function AddProviderForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const [name, setName] = useState("");
  const [kind, setKind] = useState<Kind>("openai");
  const [baseUrl, setBaseUrl] = useState("");
  const [apiKey, setApiKey] = useState("");
  const [api, setApi] = useState<Api>("chat_completions");
  const add = useMutation(
    trpc.models.createProvider.mutationOptions({
      onSuccess: () => {
        setName("");
        setBaseUrl("");
        setApiKey("");
        router.refresh();
      },
    }),
  );
  return (
    <form
      aria-labelledby="add-provider-heading"
      className="space-y-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm"
      onSubmit={(event) => {
        event.preventDefault();
        add.mutate({
          name,
          kind,
          ...(baseUrl.trim() ? { baseUrl: baseUrl.trim() } : {}),
          ...(apiKey.trim() ? { apiKey: apiKey.trim() } : {}),
          ...(kind !== "anthropic" ? { api } : {}),
        });
      }}
    >
      <h3 id="add-provider-heading" className="font-medium">
        Add a provider
      </h3>
      <div className="grid gap-3 md:grid-cols-2">
        <label className="block text-sm font-medium text-slate-800">
          Name
          <input className={inputClass} value={name} onChange={(event) => setName(event.target.value)} required placeholder="team-openai" />
        </label>
        <label className="block text-sm font-medium text-slate-800">
          Kind
          <select className={inputClass} value={kind} onChange={(event) => setKind(event.target.value as Kind)}>
            {(Object.keys(KIND_LABEL) as Kind[]).map((value) => (
              <option key={value} value={value}>
                {KIND_LABEL[value]}
              </option>
            ))}
          </select>
        </label>
        <label className="block text-sm font-medium text-slate-800">
          Base URL {kind === "openai-compatible" ? "" : "(optional)"}
          <input
            className={inputClass}
            type="url"
            value={baseUrl}
            required={kind === "openai-compatible"}
            onChange={(event) => setBaseUrl(event.target.value)}
            placeholder={kind === "openai-compatible" ? "http://localhost:11434/v1" : "default"}
          />
        </label>
        <label className="block text-sm font-medium text-slate-800">
          API key {kind === "openai-compatible" ? "(optional)" : ""}
          <input
            className={inputClass}
            type="password"
            autoComplete="off"
            value={apiKey}
            onChange={(event) => setApiKey(event.target.value)}
          />
        </label>
        {kind !== "anthropic" ? <ApiSelect label="API" value={api} onChange={setApi} /> : null}
      </div>
      <div className="flex items-center gap-3">
        <Button type="submit" disabled={add.isPending}>
          {add.isPending ? "Adding…" : "Add provider"}
        </Button>
        <ErrorNote error={add.error} />
      </div>
    </form>
  );
}

export function ModelRoutingForm({
  routing,
  providers,
  agentKinds,
  canManage,
}: {
  routing: Routing;
  providers: Array<{ id: string; name: string; kind: Kind }>;
  agentKinds: string[];
  canManage: boolean;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const rows: Array<{ key: string; label: string }> = [
    { key: "default", label: "Team default" },
    { key: "planner", label: "Planner" },
    { key: "aggregator", label: "Aggregator (final synthesis)" },
    ...agentKinds.map((kind) => ({ key: `agents.${kind}`, label: `Agent: ${kind}` })),
  ];
  const initial: Record<string, Link[]> = {
    default: routing.default ?? [],
    planner: routing.planner ?? [],
    aggregator: routing.aggregator ?? [],
    ...Object.fromEntries(agentKinds.map((kind) => [`agents.${kind}`, routing.agents?.[kind] ?? []])),
  };
  const [chains, setChains] = useState(initial);
  const save = useMutation(trpc.models.updateRouting.mutationOptions({ onSuccess: () => router.refresh() }));
  const choices = [{ id: "env", name: "Instance provider" }, ...providers];
  const change = (key: string, next: Link[]) => setChains((current) => ({ ...current, [key]: next }));

  return (
    <form
      className="space-y-4 rounded-xl border border-slate-200 bg-white p-4 shadow-sm"
      onSubmit={(event) => {
        event.preventDefault();
        const filled = (key: string) => (chains[key] ?? []).filter((link) => link.model.trim());
        const agents = Object.fromEntries(
          agentKinds.flatMap((kind) => (filled(`agents.${kind}`).length ? [[kind, filled(`agents.${kind}`)]] : [])),
        );
        save.mutate({
          ...(filled("default").length ? { default: filled("default") } : {}),
          ...(filled("planner").length ? { planner: filled("planner") } : {}),
          ...(filled("aggregator").length ? { aggregator: filled("aggregator") } : {}),
          ...(Object.keys(agents).length ? { agents } : {}),
        });
      }}
    >
      <fieldset disabled={!canManage} className="space-y-4">
        <legend className="sr-only">Models per role and agent</legend>
        {rows.map((row) => {
          const chain = chains[row.key] ?? [];
          return (
            <div key={row.key} role="group" aria-label={row.label} className="space-y-2">
              <p className="text-sm font-medium text-slate-800">{row.label}</p>
              {chain.length === 0 ? (
                <p className="text-sm text-slate-500">Not set: {row.key === "default" ? "the instance's provider" : "the team default"}.</p>
              ) : null}
              <ol className="space-y-2">
                {chain.map((link, index) => (
                  <li key={index} className="flex flex-wrap items-end gap-2">
                    <span className="w-16 text-xs text-slate-500">{index === 0 ? "first" : `fallback ${index}`}</span>
                    <label className="text-sm">
                      <span className="sr-only">{`${row.label}, model ${index + 1}: provider`}</span>
                      <select
                        className={inputClass}
                        value={link.providerId}
                        onChange={(event) =>
                          change(
                            row.key,
                            chain.map((item, at) => (at === index ? { ...item, providerId: event.target.value } : item)),
                          )
                        }
                      >
                        {choices.map((choice) => (
                          <option key={choice.id} value={choice.id}>
                            {choice.name}
                          </option>
                        ))}
                      </select>
                    </label>
                    <label className="text-sm">
                      <span className="sr-only">{`${row.label}, model ${index + 1}: model id`}</span>
                      <input
                        className={inputClass}
                        value={link.model}
                        placeholder="model id, e.g. gpt-4o-mini"
                        onChange={(event) =>
                          change(
                            row.key,
                            chain.map((item, at) => (at === index ? { ...item, model: event.target.value } : item)),
                          )
                        }
                      />
                    </label>
                    <Button
                      type="button"
                      variant="secondary"
                      aria-label={`Move ${row.label} model ${index + 1} up`}
                      disabled={index === 0}
                      onClick={() => change(row.key, [...chain.slice(0, index - 1), link, chain[index - 1]!, ...chain.slice(index + 1)])}
                    >
                      ↑
                    </Button>
                    <Button
                      type="button"
                      variant="secondary"
                      aria-label={`Remove ${row.label} model ${index + 1}`}
                      onClick={() =>
                        change(
                          row.key,
                          chain.filter((_, at) => at !== index),
                        )
                      }
                    >
                      Remove
                    </Button>
                  </li>
                ))}
              </ol>
              {chain.length < 5 ? (
                <Button
                  type="button"
                  variant="secondary"
                  onClick={() => change(row.key, [...chain, { providerId: providers[0]?.id ?? "env", model: "" }])}
                >
                  Add a model{chain.length > 0 ? " (fallback)" : ""}
                </Button>
              ) : null}
            </div>
          );
        })}
      </fieldset>
      {canManage ? (
        <div className="flex items-center gap-3">
          <Button type="submit" disabled={save.isPending}>
            {save.isPending ? "Saving…" : "Save routing"}
          </Button>
          {save.isSuccess ? (
            <p role="status" className="text-sm text-green-700">
              Saved.
            </p>
          ) : null}
          <ErrorNote error={save.error} />
        </div>
      ) : (
        <p className="text-sm text-slate-500">Only admins can change this.</p>
      )}
    </form>
  );
}
