// How the console gets the bearer token it sends to the API: the one place that knows.
//
// Three sources (docs/CONSOLE.md, Sign-in): in development mode the server mints a short-lived
// development token for pages on the same loopback origin (POST /console/dev-token with the
// X-Provisio-Console header); in production mode the user signs in with the server's identity
// provider (OpenID Connect, authorization code with PKCE, S256), as `GET /auth/client` names it;
// in any mode an administrator may paste an access token. Tokens are kept in this module's
// memory only: never in storage, a cookie or a URL. Everything else calls only getToken(),
// account() and signOut().
let current = null; // { token, expires: Date | null, source: "development" | "pasted" | "provider" }

/** The page the identity provider sends the browser back to (the console itself). */
export const CALLBACK = "/console/callback";

// What the sign-in started in this tab must find on its return (sessionStorage, this tab only):
// the PKCE verifier, state and nonce. They are worth nothing without the code, and are removed
// as soon as the browser is back.
const PENDING = "provisio.sign-in";

const RENEW_BEFORE_MS = 5 * 60 * 1000;

/**
 * The console cannot get a token; `message` says why and what to do. `canSignIn` is true when
 * the user can sign in with the server's identity provider.
 */
export class SignInError extends Error {
  constructor(message, canSignIn = false) {
    super(message);
    this.canSignIn = canSignIn;
  }
}

let signInInfo = null; // the answer of GET /auth/client, read once

async function serverSignIn() {
  if (signInInfo) return signInInfo;
  let res;
  try {
    res = await fetch("/auth/client", { credentials: "omit", cache: "no-store" });
  } catch (e) {
    throw new SignInError(`The server cannot be reached: ${e.message}`);
  }
  if (res.status === 404) {
    throw new SignInError(
      "This server has no client for signing in (its administrator sets auth.client_id). Paste an access token for this server to sign in.",
    );
  }
  if (!res.ok) throw new SignInError(`The server answered HTTP ${res.status} for its sign-in settings.`);
  signInInfo = await res.json();
  return signInInfo;
}

let discovered = null; // the identity provider's discovery document

async function discovery(info) {
  if (discovered) return discovered;
  const issuer = info.issuer.replace(/\/$/, "");
  let res;
  try {
    res = await fetch(`${issuer}/.well-known/openid-configuration`, { credentials: "omit" });
  } catch (e) {
    throw new SignInError(`The identity provider ${issuer} cannot be reached: ${e.message}`, true);
  }
  if (!res.ok) throw new SignInError(`The identity provider ${issuer} answered HTTP ${res.status}.`, true);
  const doc = await res.json();
  if (!sameIssuer(String(doc.issuer).replace(/\/$/, ""), issuer)) {
    throw new SignInError(`The identity provider's discovery document names another issuer: ${doc.issuer}`, true);
  }
  discovered = doc;
  return doc;
}

/**
 * Whether `value` is the issuer `pattern`, where a `{tenantid}` in the pattern stands for any
 * one path segment (Entra ID's multi-tenant discovery documents name their issuer so).
 */
function sameIssuer(pattern, value) {
  const parts = pattern.split("{tenantid}").map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${parts.join("[^/]+")}$`).test(value);
}

function base64url(bytes) {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomText() {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

function redirectUri() {
  return `${location.origin}${CALLBACK}`;
}

/** The scopes to ask for: the server's, with `openid` (for the nonce) and without a refresh token. */
function scopes(info) {
  return ["openid", ...info.scopes.filter((s) => s !== "openid" && s !== "offline_access")].join(" ");
}

/**
 * Sends the browser to the identity provider's sign-in (authorization code with PKCE, S256).
 * It comes back to CALLBACK, where completeSignIn() redeems the code.
 */
export async function startSignIn() {
  const info = await serverSignIn();
  if (info.development) throw new SignInError("This server is in development mode: it signs the console in itself.");
  const doc = await discovery(info);
  const verifier = randomText();
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  const pending = { verifier, state: randomText(), nonce: randomText(), hash: location.hash };
  sessionStorage.setItem(PENDING, JSON.stringify(pending));
  const url = new URL(doc.authorization_endpoint);
  for (const [k, v] of Object.entries({
    response_type: "code",
    client_id: info.clientId,
    redirect_uri: redirectUri(),
    scope: scopes(info),
    code_challenge: base64url(new Uint8Array(digest)),
    code_challenge_method: "S256",
    state: pending.state,
    nonce: pending.nonce,
  })) {
    url.searchParams.set(k, v);
  }
  location.assign(url.toString());
}

/**
 * On CALLBACK: takes the code (or error) out of the address at once, checks the state, and
 * redeems the code with the PKCE verifier at the token endpoint. The access token is kept in
 * memory only.
 */
export async function completeSignIn() {
  const params = new URLSearchParams(location.search);
  const saved = sessionStorage.getItem(PENDING);
  sessionStorage.removeItem(PENDING);
  let pending = null;
  try {
    pending = saved ? JSON.parse(saved) : null;
  } catch {
    pending = null;
  }
  history.replaceState(null, "", `/${(pending && pending.hash) || ""}`);
  if (!params.has("code") && !params.has("error")) return; // back from signing out
  const info = await serverSignIn();
  if (params.has("error")) {
    throw new SignInError(`The identity provider did not sign you in: ${params.get("error_description") || params.get("error")}`, true);
  }
  if (!pending || params.get("state") !== pending.state) {
    throw new SignInError("This sign-in was not started in this tab (its state does not match). Sign in again.", true);
  }
  const doc = await discovery(info);
  if (params.has("iss") && !sameIssuer(doc.issuer, params.get("iss"))) {
    throw new SignInError("The answer came from another identity provider. Sign in again.", true);
  }
  let res;
  try {
    res = await fetch(doc.token_endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code: params.get("code"),
        redirect_uri: redirectUri(),
        client_id: info.clientId,
        code_verifier: pending.verifier,
      }),
      credentials: "omit",
      cache: "no-store",
    });
  } catch (e) {
    throw new SignInError(`The identity provider's token endpoint cannot be reached: ${e.message}`, true);
  }
  const body = await res.json().catch(() => ({}));
  if (!res.ok || !body.access_token) {
    throw new SignInError(`The identity provider refused the sign-in: ${body.error_description || body.error || `HTTP ${res.status}`}`, true);
  }
  const id = body.id_token ? decode(body.id_token) : null;
  if (!id || id.nonce !== pending.nonce) {
    throw new SignInError("The identity provider's answer does not carry this sign-in's nonce. Sign in again.", true);
  }
  const expires = typeof body.expires_in === "number" ? new Date(Date.now() + body.expires_in * 1000) : null;
  current = { token: body.access_token, expires, source: "provider" };
}

async function developmentToken() {
  let res;
  try {
    res = await fetch("/console/dev-token", {
      method: "POST",
      headers: { "X-Provisio-Console": "1" },
      credentials: "omit",
      cache: "no-store",
    });
  } catch (e) {
    throw new SignInError(`The server cannot be reached: ${e.message}`);
  }
  if (!res.ok) {
    let message = `HTTP ${res.status}`;
    try {
      message = (await res.json()).error.message;
    } catch {
      // keep the status
    }
    throw new SignInError(
      `${message} Paste an access token for this server to sign in.`,
    );
  }
  const body = await res.json();
  return { token: body.accessToken, expires: new Date(body.expiresOn), source: "development" };
}

/** The token to send now; a fresh one when the current one ends within five minutes. */
export async function getToken() {
  const fresh = current && (!current.expires || current.expires - Date.now() > RENEW_BEFORE_MS);
  if (fresh) return current.token;
  if (current && current.source === "pasted") {
    throw new SignInError("The pasted access token has expired. Paste a new one.");
  }
  const info = await serverSignIn();
  if (!info.development) {
    const ended = current && current.source === "provider";
    current = null;
    throw new SignInError(ended ? "Your sign-in has ended. Sign in again." : "Sign in to use the console.", true);
  }
  current = await developmentToken();
  return current.token;
}

/** Uses an access token the administrator pasted, instead of the development sign-in. */
export function useToken(token) {
  const claims = decode(token);
  const exp = claims && typeof claims.exp === "number" ? new Date(claims.exp * 1000) : null;
  current = { token: token.trim(), expires: exp, source: "pasted" };
}

/** Forgets the token. */
export function forget() {
  current = null;
}

/**
 * Forgets the token; after a sign-in with the identity provider, also ends the provider's
 * session when it has an end_session_endpoint (the browser goes there and comes back to
 * CALLBACK). Returns true when the browser is leaving.
 */
export async function signOut() {
  const source = current && current.source;
  current = null;
  if (source !== "provider" || !signInInfo || !discovered || !discovered.end_session_endpoint) return false;
  const url = new URL(discovered.end_session_endpoint);
  url.searchParams.set("client_id", signInInfo.clientId);
  url.searchParams.set("post_logout_redirect_uri", redirectUri());
  location.assign(url.toString());
  return true;
}

function decode(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const padded = part + "=".repeat((4 - (part.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
}

/**
 * Who the console acts for, read from the token's claims: only to decide which controls to
 * show. The API checks every request itself and answers 403 when a permission is missing.
 */
export async function account() {
  const token = await getToken();
  const claims = decode(token) || {};
  const permissions = new Set(
    typeof claims.scp === "string" ? claims.scp.split(" ") : Array.isArray(claims.roles) ? claims.roles : [],
  );
  return {
    source: current.source,
    name: claims.preferred_username || claims.upn || claims.app_displayname || "unknown caller",
    tenant: claims.tid,
    expires: current.expires,
    canWrite: permissions.has("DeviceManagementConfiguration.ReadWrite.All"),
    canManageDevices: permissions.has("DeviceManagementManagedDevices.ReadWrite.All"),
    canWipe: permissions.has("DeviceManagementManagedDevices.PrivilegedOperations.All"),
    canReadDevices:
      permissions.has("DeviceManagementManagedDevices.Read.All") ||
      permissions.has("DeviceManagementManagedDevices.ReadWrite.All"),
    canReadAudit:
      permissions.has("DeviceManagementApps.Read.All") || permissions.has("DeviceManagementApps.ReadWrite.All"),
  };
}
