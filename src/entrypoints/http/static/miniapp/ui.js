// What every screen shares: building elements (text only, never HTML), the message line, the
// balance in the header (shown on every screen), and number formats.
import { ApiError } from "./api.js";
import { language, t, tOr } from "./i18n.js";

// The currency the player plays in: Stars unless they chose another they hold (the lobby's
// switch), kept in localStorage. A `let` exported is a live binding: every module reading
// CURRENCY reads the current choice, so game screens, hints and the balance follow it.
export let CURRENCY = "XTR";
const CHOICE_KEY = "croupier.currency";
// Minor units per currency (the books' exponents: docs/money.md): amounts come in them.
const EXPONENTS = { XTR: 0, USDT: 6, TON: 9 };

try {
  const kept = window.localStorage.getItem(CHOICE_KEY);
  if (kept && kept in EXPONENTS) CURRENCY = kept;
} catch {
  // storage off (a private window): Stars
}

export function chooseCurrency(code) {
  if (!(code in EXPONENTS)) return;
  CURRENCY = code;
  try {
    window.localStorage.setItem(CHOICE_KEY, code);
  } catch {
    // kept for this visit only
  }
  const mark = $("balance-currency");
  if (mark) mark.textContent = code === "XTR" ? "⭐" : code;
}

export function knownCurrency(code) {
  return code in EXPONENTS;
}

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

// An amount in minor units as a decimal of whole units, exactly (BigInt, no float): USDT's
// 1980000 is "1.98"; Stars have no minor units.
export function amountText(amount, currency) {
  const places = EXPONENTS[currency] || 0;
  if (!places) return String(amount);
  const whole = 10n ** BigInt(places);
  const value = BigInt(amount);
  const sign = value < 0n ? "-" : "";
  const abs = value < 0n ? -value : value;
  const fraction = (abs % whole).toString().padStart(places, "0").replace(/0+$/, "");
  return `${sign}${abs / whole}${fraction ? `.${fraction}` : ""}`;
}

// An amount as players read it: Telegram Stars as "127 ⭐" (as the bot writes them), any other
// currency in whole units by its code ("1.5 USDT").
export function moneyText(amount, currency) {
  return currency === "XTR" ? `${amount} ⭐` : `${amountText(amount, currency)} ${currency}`;
}

// A stake typed in whole units of the chosen currency ("2.5") in minor units, exactly; null
// if it is not one (more decimals than the currency has, not a number, not above zero).
export function stakeFromText(text) {
  const places = EXPONENTS[CURRENCY] || 0;
  const typed = String(text).trim().replace(",", ".");
  const pattern = places ? new RegExp(`^(\\d{1,12})(?:\\.(\\d{1,${places}}))?$`) : /^(\d{1,12})$/;
  const parts = pattern.exec(typed);
  if (!parts) return null;
  const minor = BigInt(parts[1]) * 10n ** BigInt(places) + BigInt((parts[2] || "").padEnd(places, "0") || "0");
  return minor > 0n && minor <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(minor) : null;
}

// What a stake that could not be one is told, in the chosen currency's terms.
export function badStakeText() {
  const places = EXPONENTS[CURRENCY] || 0;
  return places ? t("game.bad_stake_decimal", { currency: CURRENCY, places }) : t("game.bad_stake");
}

// A stake field set for the chosen currency: whole Stars, or decimals down to the currency's
// smallest unit, between the game's bounds.
export function fitStakeField(field, bounds) {
  const places = EXPONENTS[CURRENCY] || 0;
  field.step = places ? `0.${"0".repeat(places - 1)}1` : "1";
  field.inputMode = places ? "decimal" : "numeric";
  const label = document.querySelector(`label[for="${field.id}"]`);
  if (label) label.textContent = places ? t("game.stake_in", { currency: CURRENCY }) : t("game.stake");
  if (bounds) {
    field.min = amountText(bounds.min_stake, CURRENCY);
    field.max = amountText(bounds.max_stake, CURRENCY);
  }
}

export function setBalance(amount, currency) {
  if (currency !== CURRENCY || !Number.isSafeInteger(amount)) return;
  const out = $("balance");
  out.textContent = amountText(amount, currency);
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
