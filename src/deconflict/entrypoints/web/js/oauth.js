// Sign-in at the deployment's OAuth2 authorization server: the authorization-code flow
// with PKCE (S256), as a public client (no secret). The verifier and state wait in
// sessionStorage while the browser visits the authorization server; the page comes back
// to `/` with ?code=&state=, checks the state and exchanges the code for an access token.

const PENDING_KEY = "deconflict.oauth2";

function base64url(bytes) {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomText(n = 32) {
  return base64url(crypto.getRandomValues(new Uint8Array(n)));
}

async function challengeOf(verifier) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

/** Where the authorization server sends the browser back: this page. */
export function redirectUri() {
  return `${location.origin}/`;
}

/** The authorization server's host, for the button's label. */
export function issuerHost(oauth) {
  try {
    return new URL(oauth.authorize_url).host;
  } catch {
    return "the authorization server";
  }
}

/** Leaves for the authorization server (resolves only if it cannot). */
export async function startLogin(oauth) {
  if (!(window.crypto && crypto.subtle)) throw new Error("this browser cannot sign in here (no Web Crypto: use https)");
  const verifier = randomText(48);
  const state = randomText(24);
  const challenge = await challengeOf(verifier);
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state }));
  const url = new URL(oauth.authorize_url);
  const params = {
    response_type: "code",
    client_id: oauth.client_id,
    redirect_uri: redirectUri(),
    scope: oauth.scope || "openid",
    state,
    code_challenge: challenge,
    code_challenge_method: "S256",
  };
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  location.assign(url.toString());
}

/** Whether the address is a return from the authorization server. */
export function isCallback() {
  const params = new URLSearchParams(location.search);
  return params.has("state") && (params.has("code") || params.has("error"));
}

/** Removes the authorization response from the address bar (and from the history). */
function cleanAddress() {
  const url = new URL(location.href);
  for (const key of ["code", "state", "error", "error_description", "error_uri", "iss", "session_state"]) {
    url.searchParams.delete(key);
  }
  history.replaceState(history.state, "", url.pathname + url.search + url.hash);
}

/** Finishes a return from the authorization server: the access token, or an Error
 * whose message says what went wrong. */
export async function finishLogin(oauth) {
  const params = new URLSearchParams(location.search);
  const pendingText = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  cleanAddress();
  let pending = null;
  try {
    pending = JSON.parse(pendingText || "null");
  } catch {
    pending = null;
  }
  if (!pending || !pending.state || !pending.verifier) {
    throw new Error("Sign-in refused: this page did not start it (no sign-in was pending in this tab)");
  }
  if (params.get("state") !== pending.state) {
    throw new Error("Sign-in refused: the state returned does not match the one sent (try again)");
  }
  if (params.has("error")) {
    const description = params.get("error_description");
    throw new Error(`The authorization server refused the sign-in: ${params.get("error")}${description ? ` (${description})` : ""}`);
  }
  const body = new URLSearchParams({
    grant_type: "authorization_code",
    code: params.get("code") || "",
    redirect_uri: redirectUri(),
    client_id: oauth.client_id,
    code_verifier: pending.verifier,
  });
  let response;
  try {
    response = await fetch(oauth.token_url, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
      body,
      credentials: "omit",
      cache: "no-store",
    });
  } catch (e) {
    throw new Error(`The authorization server cannot be reached (${e.message})`);
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok || !data || typeof data.access_token !== "string") {
    const reason = (data && (data.error_description || data.error)) || `HTTP ${response.status}`;
    throw new Error(`The authorization server gave no token: ${reason}`);
  }
  return data.access_token;
}
