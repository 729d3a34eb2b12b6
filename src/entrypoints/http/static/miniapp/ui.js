// What every screen shares: building elements (text only, never HTML), the message line, the
// balance in the header (shown on every screen), and number formats.
import { ApiError } from "./api.js";
import { language, t, tOr } from "./i18n.js";

export const CURRENCY = "XTR";

export const $ = (id) => document.getElementById(id);

// An element with attributes and children; strings become text nodes, so server data can
// never become markup.
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = String(value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function showMessage(text) {
  const message = $("message");
  message.textContent = text;
  message.hidden = !text;
}

export function showError(error) {
  showMessage(error instanceof ApiError ? error.message : t("errors.generic"));
  if (!(error instanceof ApiError)) console.error(error);
}

export function showStatus(text) {
  const status = $("status");
  status.textContent = text;
  status.hidden = !text;
}

// -- the balance -------------------------------------------------------------------------

const balance = { liveApplied: 0 };

// An amount as players read it: Telegram Stars as "127 ⭐" (as the bot writes them), any other
// currency by its code ("7 TON").
export function moneyText(amount, currency) {
  return currency === "XTR" ? `${amount} ⭐` : `${amount} ${currency}`;
}

export function setBalance(amount, currency) {
  if (currency !== CURRENCY || !Number.isSafeInteger(amount)) return;
  const out = $("balance");
  out.textContent = String(amount);
  out.dataset.amount = String(amount);
}

export function showBalances(balances) {
  const mine = (balances || []).find((b) => b && b.currency === CURRENCY);
  setBalance(mine ? mine.amount : 0, CURRENCY);
}

// A live change counts here, so a balance read that was in flight meanwhile does not undo it.
export function noteLiveBalance() {
  balance.liveApplied += 1;
}

export function liveBalanceCount() {
  return balance.liveApplied;
}

// -- one action at a time ----------------------------------------------------------------

let busy = false;

// Runs `action` unless another is running (one bet per press, however fast the clicks come),
// with `button` disabled and relabelled meanwhile; errors become the message line.
export async function once(button, busyLabel, action) {
  if (busy) return;
  busy = true;
  const label = button ? button.textContent : "";
  if (button) {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    if (busyLabel) button.textContent = busyLabel;
  }
  showMessage("");
  try {
    await action();
  } catch (error) {
    showError(error);
  } finally {
    busy = false;
    if (button) {
      button.disabled = false;
      button.removeAttribute("aria-busy");
      if (busyLabel) button.textContent = label;
    }
  }
}

// -- formats -----------------------------------------------------------------------------

export function hundredths(value) {
  return (Number(value) / 100).toFixed(2);
}

// "19801/10000" or "1.98": shown as a decimal with at most four places.
export function multiplierText(text) {
  if (typeof text !== "string") return "";
  const [num, den] = text.split("/");
  const value = Number(num) / (den === undefined ? 1 : Number(den));
  return Number.isFinite(value) ? `×${Number(value.toFixed(4))}` : "";
}

export function when(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleString(language(), { dateStyle: "medium", timeStyle: "short" });
}

// A game's name in the player's language (the page's table), else the server's title.
export function gameTitle(offer) {
  return tOr(`game.${offer.code}`, offer.title);
}

// One of a game parameter's choices ("heads", roulette's "dozen") in the player's language.
export function choiceText(game, param, choice) {
  return tOr(`choice.${game}.${param}.${choice}`, choice);
}

export function capitalise(text) {
  const value = String(text);
  return value.charAt(0).toUpperCase() + value.slice(1);
}
