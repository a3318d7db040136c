// How the console gets the bearer token it sends to the API: the one place that knows.
//
// Today: in development mode the server mints a short-lived development token for pages on
// the same loopback origin (POST /console/dev-token with the X-Provisio-Console header, see
// docs/CONSOLE.md, Sign-in); an administrator may also paste an access token (kept in memory
// only, gone with the tab). A sign-in with an OpenID Connect provider (authorization code with
// PKCE) slots in here as another source: everything else calls only getToken(), account() and
// signOut().

let current = null; // { token, expires: Date | null, source: "development" | "pasted" }

const RENEW_BEFORE_MS = 5 * 60 * 1000;

/** The console cannot get a token; `message` says why and what to do. */
export class SignInError extends Error {}

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
export function signOut() {
  current = null;
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
