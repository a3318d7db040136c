// The Graph API, as every client calls it: bearer token, JSON, the Graph error envelope.

import { getToken } from "./auth.js";

export const ROOT = "/beta/deviceManagement";
export const PROFILES = `${ROOT}/androidDeviceOwnerEnrollmentProfiles`;
export const DEVICES = `${ROOT}/managedDevices`;
export const AUDIT = `${ROOT}/auditEvents`;

/** The enrollment modes, their labels and the longest token validity of each (docs/API.md). */
export const MODES = [
  { value: "corporateOwnedDedicatedDevice", label: "Dedicated device", maxSeconds: 2049840000 },
  { value: "corporateOwnedFullyManaged", label: "Fully managed", maxSeconds: 2147483647 },
  { value: "corporateOwnedWorkProfile", label: "Corporate-owned work profile", maxSeconds: 2147483647 },
  { value: "corporateOwnedAOSPUserlessDevice", label: "AOSP userless", maxSeconds: 7776000 },
  { value: "corporateOwnedAOSPUserAssociatedDevice", label: "AOSP user-associated", maxSeconds: 7776000 },
];

export function mode(value) {
  return MODES.find((m) => m.value === value) || { value, label: value, maxSeconds: 2147483647 };
}

/** An error answer of the API: its status, Graph error code and message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * Sends a request; resolves to the parsed JSON body (null for 204), rejects with an ApiError.
 * `path` is a path on this origin, or an absolute link of the API (`@odata.nextLink`), which
 * is followed on this origin.
 */
export async function call(method, path, { body, headers = {} } = {}) {
  const token = await getToken();
  const url = path.startsWith("http") ? sameOrigin(path) : path;
  const h = { Authorization: `Bearer ${token}`, Accept: "application/json", ...headers };
  if (body !== undefined) h["Content-Type"] = "application/json";
  let res;
  try {
    res = await fetch(url, {
      method,
      headers: h,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
    });
  } catch (e) {
    throw new ApiError(0, "NetworkError", `The server cannot be reached: ${e.message}`);
  }
  if (res.status === 204) return null;
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const error = data && data.error;
    throw new ApiError(res.status, error ? error.code : "HttpError", error ? error.message : `HTTP ${res.status}`);
  }
  return data;
}

function sameOrigin(link) {
  const u = new URL(link);
  return u.pathname + u.search;
}

/** A string literal for `$filter`. */
export function literal(text) {
  return `'${text.replace(/'/g, "''")}'`;
}

/** A query string from options: `{$top: 25, $filter: "..."}` → `?%24top=25&...`. */
export function query(options) {
  const parts = Object.entries(options)
    .filter(([, v]) => v !== undefined && v !== null && v !== "")
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  return parts.length ? `?${parts.join("&")}` : "";
}

/** The profile's path. */
export function profilePath(id) {
  return `${PROFILES}/${encodeURIComponent(id)}`;
}

/**
 * The zero-touch (and Knox Mobile Enrollment) "DPC extras" of a profile's current token: the
 * admin extras bundle of its QR code, alone under its key (docs/QR.md, Zero-touch and Knox).
 */
export function dpcExtras(profile) {
  const content = JSON.parse(profile.qrCodeContent);
  const key = "android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE";
  return { [key]: content[key] || {} };
}
