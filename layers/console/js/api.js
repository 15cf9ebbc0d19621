// The agent API, on the console's own origin (the page is served by the API at <api>/console/).
import { token, refresh, signOut } from './auth.js';
import { t, addStrings } from './i18n.js';

// The API explains a refusal in English; the agent reads what happened in their own language first.
addStrings({
  en: {
    'error.network': 'The helpdesk cannot be reached. Retrying…', 'error.forbidden': 'Your role cannot do this.',
    'error.not_found': 'Not found: {detail}', 'error.conflict': 'Not done: {detail}', 'error.rejected': 'Not accepted: {detail}',
    'error.busy': 'Too many requests at once. Try again in a moment.', 'error.server': 'The helpdesk had a problem ({status}). Try again.',
  },
  ko: {
    'error.network': '헬프데스크에 연결할 수 없습니다. 다시 시도하는 중…', 'error.forbidden': '이 역할로는 할 수 없습니다.',
    'error.not_found': '찾을 수 없습니다 ({detail})', 'error.conflict': '처리하지 못했습니다 ({detail})', 'error.rejected': '받아들여지지 않았습니다 ({detail})',
    'error.busy': '요청이 너무 많습니다. 잠시 후 다시 시도하세요.', 'error.server': '헬프데스크에 문제가 생겼습니다 ({status}). 다시 시도하세요.',
  },
});

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

/** What went wrong, for the agent: the kind of failure in their language, with the API's own reason. */
export function explain(error) {
  if (!(error instanceof ApiError)) return String(error?.message ?? error);
  const detail = error.message;
  if (error.status === 0) return t('error.network');
  if (error.status === 403) return t('error.forbidden');
  if (error.status === 404) return t('error.not_found', { detail });
  if (error.status === 409 || error.status === 412) return t('error.conflict', { detail });
  if (error.status === 429) return t('error.busy');
  if (error.status >= 500) return t('error.server', { status: error.status });
  return t('error.rejected', { detail });
}

/** A key for Idempotency-Key: one per action the agent takes, reused if the same action is retried. */
export function idempotencyKey() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}
