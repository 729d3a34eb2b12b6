// Talking to the player API: the session opened from Telegram's launch data, bearer calls,
// and refusals turned into one short sentence in the player's language (problems.js), or
// from the problem details' `detail` when the page has no words for it.
import { t } from "./i18n.js";
import { reasonText } from "./problems.js";

export const API = "/api/v1/app";

export class ApiError extends Error {
  constructor(status, detail, code = null) {
    super(detail);
    this.status = status;
    this.code = code; // the problem's `code` ("player_blocked", …), when it has one
  }
}

const session = {
  initData: "",
  token: null,
  expiresAt: 0,
  playerId: null,
  opening: null, // the session request in flight, shared by everyone who needs a token
};

export function parseJson(text) {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export function setInitData(initData) {
  session.initData = initData;
}

export function token() {
  return session.token;
}

export function playerId() {
  return session.playerId;
}

export function dropToken() {
  session.token = null;
}

export async function request(method, path, body, { retried = false } = {}) {
  if (path !== "/session") await ensureSession();
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (session.token && path !== "/session") headers.Authorization = `Bearer ${session.token}`;
  let response;
  try {
    response = await fetch(API + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, t("errors.unreachable"));
  }
  if (response.status === 401 && path !== "/session" && !retried) {
    // The session token expired: open a new one from the launch data, then try once more.
    session.token = null;
    return request(method, path, body, { retried: true });
  }
  const data = parseJson(await response.text());
  if (!response.ok) {
    const code = data && typeof data.code === "string" ? data.code : null;
    throw new ApiError(response.status, problemText(response, data), code);
  }
  return data;
}

function problemText(response, problem) {
  const worded = reasonText(problem);
  if (worded) return worded;
  // Problem details (RFC 9457): `detail` says what went wrong, in English.
  if (problem && typeof problem.detail === "string" && problem.detail.trim()) {
    let text = problem.detail.trim();
    text = text.charAt(0).toUpperCase() + text.slice(1);
    if (!/[.!?]$/.test(text)) text += ".";
    const wait = response.headers.get("Retry-After");
    if (response.status === 429 && wait && /^\d+$/.test(wait)) {
      text += ` ${t("errors.retry_in", { seconds: wait })}`;
    }
    return text;
  }
  if (response.status >= 500) return t("errors.server");
  return t("errors.refused", { status: response.status });
}

export async function ensureSession() {
  if (session.token && Date.now() < session.expiresAt - 30_000) return;
  if (!session.opening) {
    session.opening = openSession().finally(() => {
      session.opening = null;
    });
  }
  await session.opening;
}

export async function openSession() {
  let opened;
  try {
    opened = await request("POST", "/session", { init_data: session.initData });
  } catch (error) {
    if (error.status === 401) {
      throw new ApiError(401, t("errors.signin"));
    }
    throw error;
  }
  // A live socket opened with the old token carries on until the server closes it (1008)
  // at that token's expiry; it then reconnects with this one.
  session.token = opened.token;
  session.expiresAt = Date.parse(opened.expires_at) || Date.now() + 10 * 60_000;
  session.playerId = opened.player_id;
  return opened;
}

export function newRequestId() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
