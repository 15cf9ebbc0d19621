// The agent API, on the console's own origin (the page is served by the API at <api>/console/).
import { token, refresh, signOut } from './auth.js';

export const BASE = new URL('../', document.baseURI).href.replace(/\/$/, '');

export class ApiError extends Error {
  constructor(status, message, body) { super(message); this.status = status; this.body = body; }
}

/** api('/api/tickets', {query: {view: 'mine'}}) → parsed JSON; errors throw ApiError with the API's reason. */
export async function api(path, { method = 'GET', body, query, headers = {}, raw = false, retried = false } = {}) {
  const url = new URL(BASE + path);
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, value);
  }
  const init = { method, headers: { Authorization: `Bearer ${await token()}`, ...headers } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    throw new ApiError(0, 'network', null);
  }
  if (response.status === 401 && !retried) {
    try { await refresh(); } catch { await signOut('expired'); throw new ApiError(401, 'signed out', null); }
    return api(path, { method, body, query, headers, raw, retried: true });
  }
  if (raw) {
    if (!response.ok) throw new ApiError(response.status, response.statusText, null);
    return response;
  }
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  if (!response.ok) throw new ApiError(response.status, (data && data.error) || response.statusText, data);
  return data;
}

/** A key for Idempotency-Key: one per action the agent takes, reused if the same action is retried. */
export function idempotencyKey() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}
