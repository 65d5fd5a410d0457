/**
 * Errors in OpenAI's shape — `{ error: { message, type, param, code } }` — for the
 * OpenAI-compatible routes, so OpenAI's clients raise them with their message and param. The
 * `code` is Chorus's own error code (bad_request, unauthorized, …), as in every other answer;
 * `param` is the field Chorus names, in its dotted form (`messages.0.content`).
 */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string };
}

function errorType(status: number): string {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 429) return "rate_limit_error";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

export function openAiErrorBody(status: number, body: { error: { code: string; message: string; field?: string } }): OpenAiErrorBody {
  return { error: { message: body.error.message, type: errorType(status), param: body.error.field ?? null, code: body.error.code } };
}
