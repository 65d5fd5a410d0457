"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { ConfirmAction } from "@/components/ui/confirm-action";
import { useTRPC } from "@/components/providers";
import { webhookEventDescriptions, webhookEventTypes, type WebhookEventType } from "@/server/domain/webhook-events";
import type { WebhookDeliveryView, WebhookEndpointView } from "@/server/webhooks/webhook-endpoints";
import { ErrorNote, settingsInputClass } from "@/components/ui/error-note";

/**
 * Settings → Webhooks, for admins: the team's endpoints (add with the events to send, test-send,
 * disable or enable, rotate the secret, delete) with their recent deliveries, and the switch for
 * private destinations. A signing secret is shown once — right after create or rotate — with a
 * copy button, and never again; the server checks every action's permission too.
 */

/** A time the same on the server's render and in the browser (no locale or zone of either): "2026-12-07 11:05:42 UTC". */
const utc = (iso: string) => `${iso.slice(0, 19).replace("T", " ")} UTC`;

const inputClass = settingsInputClass;

/** A just-made secret, once: the admin copies it into the receiver now or rotates later. */
function SecretOnce({ secret, onDone }: { secret: string; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div role="status" className="space-y-2 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm">
      <p className="font-medium text-amber-900">Signing secret — shown only now. Copy it into your receiver.</p>
      <div className="flex flex-wrap items-center gap-2">
        <code data-testid="webhook-secret" className="break-all rounded bg-white px-2 py-1 text-xs text-slate-900">
          {secret}
        </code>
        <Button
          type="button"
          variant="secondary"
          onClick={() => {
            void navigator.clipboard?.writeText(secret).then(
              () => setCopied(true),
              () => setCopied(false),
            );
          }}
        >
          {copied ? "Copied" : "Copy"}
        </Button>
        <Button type="button" variant="secondary" onClick={onDone}>
          I have saved it
        </Button>
      </div>
    </div>
  );
}

type EndpointWithDeliveries = WebhookEndpointView & { deliveries: WebhookDeliveryView[] };

export function WebhookEndpoints({ endpoints }: { endpoints: EndpointWithDeliveries[] }) {
  return (
    <div className="space-y-3">
      {endpoints.length === 0 ? <p className="text-sm text-slate-500">No endpoints yet.</p> : null}
      <ul className="space-y-3">
        {endpoints.map((endpoint) => (
          <EndpointItem key={endpoint.id} endpoint={endpoint} />
        ))}
      </ul>
      <AddEndpointForm />
    </div>
  );
}

function EndpointItem({ endpoint }: { endpoint: EndpointWithDeliveries }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [secret, setSecret] = useState<string | null>(null);
  const refresh = { onSuccess: () => router.refresh() };
  const test = useMutation(trpc.webhooks.test.mutationOptions(refresh));
  const toggle = useMutation(trpc.webhooks.update.mutationOptions(refresh));
  const remove = useMutation(trpc.webhooks.delete.mutationOptions(refresh));
  const rotate = useMutation(trpc.webhooks.rotateSecret.mutationOptions({ onSuccess: (answer) => setSecret(answer.secret) }));
  const label = endpoint.description || endpoint.url;
  return (
    <li aria-label={`Webhook ${label}`} className="space-y-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm">
      <div className="space-y-1">
        <div className="flex flex-wrap items-baseline gap-x-3 gap-y-1">
          <code className="break-all text-sm text-slate-900">{endpoint.url}</code>
          <span className={`text-xs font-medium ${endpoint.enabled ? "text-green-700" : "text-slate-500"}`}>
            {endpoint.enabled ? "Enabled" : "Disabled"}
          </span>
        </div>
        {endpoint.description ? <p className="text-sm text-slate-700">{endpoint.description}</p> : null}
        <p className="text-xs text-slate-500">Events: {endpoint.events.join(", ")}</p>
        {endpoint.disabledReason ? <p className="text-sm text-amber-800">{endpoint.disabledReason}</p> : null}
      </div>
      <div className="flex flex-wrap items-center gap-2">
        <Button type="button" variant="secondary" disabled={test.isPending} onClick={() => test.mutate({ id: endpoint.id })}>
          {test.isPending ? "Sending…" : "Send test"}
        </Button>
        <Button
          type="button"
          variant="secondary"
          disabled={toggle.isPending}
          onClick={() => toggle.mutate({ id: endpoint.id, enabled: !endpoint.enabled })}
        >
          {endpoint.enabled ? "Disable" : "Enable"}
        </Button>
        <Button type="button" variant="secondary" disabled={rotate.isPending} onClick={() => rotate.mutate({ id: endpoint.id })}>
          Rotate secret
        </Button>
        <ConfirmAction
          trigger="Delete…"
          question={`Delete ${label}?`}
          consequence="Its delivery history goes with it; receivers get nothing more from this endpoint."
          confirmLabel={remove.isPending ? "Deleting…" : "Yes, delete it"}
          keepLabel="Keep it"
          disabled={remove.isPending}
          onConfirm={() => remove.mutate({ id: endpoint.id })}
        />
      </div>
      {test.data ? (
        <p role="status" className={`text-sm ${test.data.status === "succeeded" ? "text-green-700" : "text-red-800"}`}>
          {test.data.status === "succeeded"
            ? `Test delivered: HTTP ${test.data.responseStatus} in ${test.data.durationMs} ms`
            : `Test failed: ${test.data.error ?? "no answer"}`}
        </p>
      ) : null}
      {secret ? <SecretOnce secret={secret} onDone={() => setSecret(null)} /> : null}
      <ErrorNote error={test.error ?? toggle.error ?? remove.error ?? rotate.error} />
      <Deliveries endpointId={endpoint.id} deliveries={endpoint.deliveries} />
    </li>
  );
}

const STATUS_STYLE: Record<WebhookDeliveryView["status"], string> = {
  succeeded: "text-green-700",
  failed: "text-red-800",
  pending: "text-amber-800",
};

function Deliveries({ endpointId, deliveries }: { endpointId: string; deliveries: WebhookDeliveryView[] }) {
  const trpc = useTRPC();
  const router = useRouter();
  const redeliver = useMutation(trpc.webhooks.redeliver.mutationOptions({ onSuccess: () => router.refresh() }));
  if (deliveries.length === 0) return <p className="text-sm text-slate-500">No deliveries yet.</p>;
  return (
    <div className="space-y-2">
      <div className="flex items-center justify-between">
        <h4 className="text-sm font-medium">Recent deliveries</h4>
        <Button type="button" variant="secondary" onClick={() => router.refresh()}>
          Refresh
        </Button>
      </div>
      <div className="overflow-x-auto">
        <table className="w-full text-left text-sm">
          <caption className="sr-only">Recent deliveries to this endpoint, newest first</caption>
          <thead className="text-xs text-slate-500">
            <tr>
              <th scope="col" className="py-1 pr-3 font-medium">
                Event
              </th>
              <th scope="col" className="py-1 pr-3 font-medium">
                Status
              </th>
              <th scope="col" className="py-1 pr-3 font-medium">
                Response
              </th>
              <th scope="col" className="py-1 pr-3 font-medium">
                Attempts
              </th>
              <th scope="col" className="py-1 pr-3 font-medium">
                When
              </th>
              <th scope="col" className="py-1 font-medium">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {deliveries.map((delivery) => (
              <tr key={delivery.id} data-testid="webhook-delivery" className="border-t border-slate-100 align-top">
                <td className="py-1 pr-3">{delivery.eventType}</td>
                <td className={`py-1 pr-3 ${STATUS_STYLE[delivery.status]}`}>
                  {delivery.status}
                  {delivery.status === "pending" && delivery.nextAttemptAt ? (
                    <span className="block text-xs text-slate-500">next {utc(delivery.nextAttemptAt)}</span>
                  ) : null}
                </td>
                <td className="py-1 pr-3">
                  {delivery.responseStatus !== null ? `HTTP ${delivery.responseStatus}` : (delivery.error ?? "—")}
                  {delivery.durationMs !== null ? <span className="block text-xs text-slate-500">{delivery.durationMs} ms</span> : null}
                  {delivery.responseExcerpt ? (
                    <span className="block max-w-xs truncate text-xs text-slate-500" title={delivery.responseExcerpt}>
                      {delivery.responseExcerpt}
                    </span>
                  ) : null}
                </td>
                <td className="py-1 pr-3">{delivery.attempts}</td>
                <td className="py-1 pr-3 text-xs text-slate-600">{utc(delivery.createdAt)}</td>
                <td className="py-1">
                  {delivery.status !== "pending" ? (
                    <Button
                      type="button"
                      variant="secondary"
                      disabled={redeliver.isPending}
                      onClick={() => redeliver.mutate({ id: endpointId, deliveryId: delivery.id })}
                    >
                      Redeliver
                    </Button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ErrorNote error={redeliver.error} />
    </div>
  );
}

function AddEndpointForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [events, setEvents] = useState<WebhookEventType[]>(["task.completed", "task.failed"]);
  const [secret, setSecret] = useState<string | null>(null);
  const add = useMutation(
    trpc.webhooks.create.mutationOptions({
      onSuccess: (answer) => {
        setSecret(answer.secret);
        setUrl("");
        setDescription("");
        router.refresh();
      },
    }),
  );
  return (
    <form
      aria-labelledby="add-webhook-heading"
      className="space-y-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm"
      onSubmit={(event) => {
        event.preventDefault();
        add.mutate({ url: url.trim(), description: description.trim(), events });
      }}
    >
      <h3 id="add-webhook-heading" className="font-medium">
        Add an endpoint
      </h3>
      <div className="grid gap-3 md:grid-cols-2">
        <label className="block text-sm font-medium text-slate-800">
          URL
          <input
            className={inputClass}
            type="url"
            required
            value={url}
            onChange={(event) => setUrl(event.target.value)}
            placeholder="https://example.com/chorus-webhooks"
          />
        </label>
        <label className="block text-sm font-medium text-slate-800">
          Description (optional)
          <input className={inputClass} value={description} maxLength={500} onChange={(event) => setDescription(event.target.value)} />
        </label>
      </div>
      <fieldset className="space-y-1">
        <legend className="text-sm font-medium text-slate-800">Events to send</legend>
        {webhookEventTypes.map((type) => (
          <label key={type} className="flex items-center gap-2 text-sm text-slate-700">
            <input
              type="checkbox"
              checked={events.includes(type)}
              onChange={(event) => setEvents((current) => (event.target.checked ? [...current, type] : current.filter((t) => t !== type)))}
            />
            <code className="text-xs">{type}</code> <span className="text-slate-500">— {webhookEventDescriptions[type]}</span>
          </label>
        ))}
      </fieldset>
      <div className="flex items-center gap-3">
        <Button type="submit" disabled={add.isPending || events.length === 0}>
          {add.isPending ? "Adding…" : "Add endpoint"}
        </Button>
        <ErrorNote error={add.error} />
      </div>
      {secret ? <SecretOnce secret={secret} onDone={() => setSecret(null)} /> : null}
    </form>
  );
}

export function PrivateDestinationsSetting({ allowed }: { allowed: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  // Shown as clicked at once; back to what is stored if the change is refused.
  const [checked, setChecked] = useState(allowed);
  const update = useMutation(
    trpc.webhooks.updateSettings.mutationOptions({
      onSuccess: (answer) => {
        setChecked(answer.allowPrivateDestinations);
        router.refresh();
      },
      onError: () => setChecked(allowed),
    }),
  );
  return (
    <div className="space-y-2">
      <div className="flex flex-wrap items-center gap-3">
        <label className="flex items-center gap-2 text-sm text-slate-800">
          <input
            type="checkbox"
            checked={checked}
            disabled={update.isPending}
            onChange={(event) => {
              setChecked(event.target.checked);
              update.mutate({ allowPrivateDestinations: event.target.checked });
            }}
          />
          Allow private and loopback destinations
        </label>
        {update.isSuccess ? (
          <span role="status" className="text-sm text-green-700">
            Saved
          </span>
        ) : null}
      </div>
      <ErrorNote error={update.error} />
    </div>
  );
}
