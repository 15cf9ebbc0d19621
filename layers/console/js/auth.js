// Sign-in against the agents' Cognito user pool, from the page: USER_PASSWORD_AUTH over HTTPS (the
// deployed app client allows it; the password goes to Cognito only), the ID token for the API, and a
// refresh with the refresh token a few minutes before the ID token expires. Tokens live in this tab's
// sessionStorage: a reload keeps the session, closing the tab ends it.

const KEY = 'helpdesk.session';
const REFRESH_AHEAD_MS = 5 * 60 * 1000;
let config = null;
let session = null; // {idToken, accessToken, refreshToken, expiresAt (ms), email}
let timer = null;
const listeners = new Set();

export class AuthError extends Error {
  constructor(code, message) { super(message); this.code = code; }
}

export function configure(cfg) {
  config = cfg;
  try { session = JSON.parse(sessionStorage.getItem(KEY) || 'null'); } catch { session = null; }
  if (session) schedule();
}

export function current() { return session; }
export function onChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }

async function cognito(target, body) {
  const response = await fetch(config.cognito.endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': `AWSCognitoIdentityProviderService.${target}` },
    body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const code = String(data.__type || data.code || 'Error').split('#').pop();
    throw new AuthError(code, data.message || data.Message || code);
  }
  return data;
}

function claims(token) {
  const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
  const json = decodeURIComponent(atob(part).split('').map((c) => '%' + c.charCodeAt(0).toString(16).padStart(2, '0')).join(''));
  return JSON.parse(json);
}

function keep(result, email) {
  const exp = claims(result.IdToken).exp * 1000;
  session = {
    idToken: result.IdToken, accessToken: result.AccessToken,
    refreshToken: result.RefreshToken || session?.refreshToken, expiresAt: exp,
    email: email || session?.email,
  };
  sessionStorage.setItem(KEY, JSON.stringify(session));
  schedule();
  listeners.forEach((fn) => fn(session));
}

function schedule() {
  clearTimeout(timer);
  if (!session) return;
  const wait = Math.max(5000, session.expiresAt - Date.now() - REFRESH_AHEAD_MS);
  timer = setTimeout(() => refresh().catch(() => signOut('expired')), wait);
}

/** Signs in; a first sign-in with a temporary password answers {challenge: 'NEW_PASSWORD_REQUIRED', ...}. */
export async function signIn(email, password) {
  const username = email.trim().toLowerCase();
  const data = await cognito('InitiateAuth', {
    AuthFlow: 'USER_PASSWORD_AUTH', ClientId: config.cognito.client_id,
    AuthParameters: { USERNAME: username, PASSWORD: password },
  });
  if (data.ChallengeName) return { challenge: data.ChallengeName, session: data.Session, username };
  keep(data.AuthenticationResult, username);
  return { signedIn: true };
}

/** Answers the invitation's NEW_PASSWORD_REQUIRED challenge with the agent's own password. */
export async function setNewPassword(challenge, password) {
  const data = await cognito('RespondToAuthChallenge', {
    ChallengeName: 'NEW_PASSWORD_REQUIRED', ClientId: config.cognito.client_id, Session: challenge.session,
    ChallengeResponses: { USERNAME: challenge.username, NEW_PASSWORD: password },
  });
  keep(data.AuthenticationResult, challenge.username);
}

export async function refresh() {
  if (!session?.refreshToken) throw new AuthError('NoSession', 'not signed in');
  const data = await cognito('InitiateAuth', {
    AuthFlow: 'REFRESH_TOKEN_AUTH', ClientId: config.cognito.client_id,
    AuthParameters: { REFRESH_TOKEN: session.refreshToken },
  });
  keep(data.AuthenticationResult);
}

/** Ends the session here and revokes the refresh token at the pool (best effort: offline, it lapses). */
export async function signOut(reason = 'signed_out') {
  const old = session;
  session = null;
  clearTimeout(timer);
  sessionStorage.removeItem(KEY);
  // (The local stack's user pool, moto's, has no RevokeToken: its configuration says so.)
  if (old?.refreshToken && config.cognito.revoke_tokens !== false) {
    cognito('RevokeToken', { Token: old.refreshToken, ClientId: config.cognito.client_id }).catch(() => {});
  }
  listeners.forEach((fn) => fn(null, reason));
}

/** A valid ID token, refreshed first when it is about to expire. */
export async function token() {
  if (!session) throw new AuthError('NoSession', 'not signed in');
  if (session.expiresAt - Date.now() < 60 * 1000) await refresh();
  return session.idToken;
}
