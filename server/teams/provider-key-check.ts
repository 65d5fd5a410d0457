/**
 * Checks a provider key the way the provider itself would judge it: lists its models with the
 * provider's official client (`GET /v1/models`). The answer names what went wrong by status —
 * never with the provider's own text, which may echo the key or the request. The clients load on
 * first use (they cost start-up time, and most processes never check a key).
 */
export type KeyCheck = { ok: true; models: string[] } | { ok: false; error: string; status?: number };

export interface KeyCheckTarget {
  kind: "openai" | "anthropic" | "openai_compatible";
  baseUrl: string | null;
  apiKey: string | undefined;
}

const CHECK_TIMEOUT_MS = 15_000;
const MODELS_SHOWN = 10;

export async function checkProviderKey(target: KeyCheckTarget): Promise<KeyCheck> {
  try {
    const ids: string[] = [];
    if (target.kind === "anthropic") {
      // The Anthropic SDK adds /v1 itself; Chorus stores base URLs as the AI SDK takes them (with /v1).
      const baseURL = target.baseUrl?.replace(/\/v1\/?$/, "") ?? undefined;
      const { default: Anthropic } = await import("@anthropic-ai/sdk");
      const client = new Anthropic({ apiKey: target.apiKey ?? "not-set", baseURL, maxRetries: 0, timeout: CHECK_TIMEOUT_MS });
      const page = await client.models.list({ limit: MODELS_SHOWN });
      ids.push(...page.data.map((model) => model.id));
    } else {
      const { default: OpenAI } = await import("openai");
      const client = new OpenAI({
        apiKey: target.apiKey ?? "not-needed",
        baseURL: target.baseUrl ?? undefined,
        maxRetries: 0,
        timeout: CHECK_TIMEOUT_MS,
      });
      const page = await client.models.list();
      ids.push(...page.data.map((model) => model.id));
    }
    return { ok: true, models: ids.slice(0, MODELS_SHOWN) };
  } catch (error) {
    return describeKeyCheckFailure(error, target.baseUrl);
  }
}

function describeKeyCheckFailure(error: unknown, baseUrl: string | null): KeyCheck {
  const status = (error as { status?: unknown }).status;
  if (typeof status === "number") {
    if (status === 401 || status === 403) return { ok: false, status, error: `the key was refused (${status})` };
    if (status === 404) return { ok: false, status, error: `the provider has no model list at this address (404): check the base URL` };
    if (status === 429) return { ok: false, status, error: "the provider is rate-limiting this key (429); try again shortly" };
    if (status >= 500) return { ok: false, status, error: `the provider failed (${status}); try again later` };
    return { ok: false, status, error: `the provider answered HTTP ${status}` };
  }
  const where = baseUrl && URL.canParse(baseUrl) ? new URL(baseUrl).host : "the provider";
  const name = (error as { name?: unknown }).name;
  if (typeof name === "string" && /Timeout/i.test(name))
    return { ok: false, error: `${where} did not answer within ${CHECK_TIMEOUT_MS / 1000} s` };
  return { ok: false, error: `could not connect to ${where}` };
}
