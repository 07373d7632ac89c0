// The API client: bearer token from sessionStorage, JSON in and out, errors as ApiError
// carrying the API's {"detail", "errors": [{"loc", "msg"}], "conflicts"?} body.

const TOKEN_KEY = "deconflict.token";

export class ApiError extends Error {
  constructor(status, body) {
    const detail = (body && body.detail) || `HTTP ${status}`;
    super(detail);
    this.status = status;
    this.detail = detail;
    this.errors = (body && Array.isArray(body.errors) && body.errors) || [];
    this.conflicts = (body && body.conflicts) || null;
    this.refused = Boolean(body && body.refused);
    this.retryAfter = null;
  }
}

export function getToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

let onUnauthorized = () => {};

/** Called when the API refuses the token (401): the page signs out. */
export function whenUnauthorized(callback) {
  onUnauthorized = callback;
}

export async function api(method, path, body, { token = getToken(), quiet401 = false } = {}) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  const init = { method, headers, credentials: "omit", cache: "no-store" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, { detail: `the server cannot be reached (${e.message})` });
  }
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = new ApiError(response.status, data);
    if (response.status === 429) error.retryAfter = Number(response.headers.get("retry-after")) || 1;
    // Only for the token in use: a request still in flight from before a sign-out (sent
    // with no token, or the last person's) must not sign out whoever is signing in now.
    if (response.status === 401 && !quiet401 && token && token === getToken()) onUnauthorized(error);
    throw error;
  }
  return data;
}

export const get = (path, options) => api("GET", path, undefined, options);
export const post = (path, body, options) => api("POST", path, body, options);

/** The claims of a JWT, unverified (the server verifies; this is for display only). */
export function claimsOf(token) {
  const parts = token.split(".");
  if (parts.length !== 3) throw new Error("a token has three dot-separated parts");
  const b64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
  const padded = b64 + "=".repeat((4 - (b64.length % 4)) % 4);
  const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}
