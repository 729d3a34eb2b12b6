// A refusal in the player's language (docs/miniapp.md, "Refusals in the player's language"):
// the server names each problem's `reason` (entrypoints/http/player_problems.py) and the
// numbers its text needs as fields; the text is `problem.<reason>` of locales/<language>.json.
// A reason the page has no text for, or a text whose numbers did not come, is worded from the
// problem's own `detail` instead.
import { has, t, tOr } from "./i18n.js";
import { moneyText, when } from "./ui.js";

// Fields whose value is a word of the page's own (a limit's kind, its period).
const WORDS = {
  limit_kind: (value) => tOr(`care.limit_${value}`, value),
  period: (value) => tOr(`care.period_${value}`, value),
};
const MOMENTS = new Set(["until"]);

function isMoney(value) {
  return value !== null && typeof value === "object" && Number.isSafeInteger(value.amount) && typeof value.currency === "string";
}

// The problem's fields as the text shows them: "19 ⭐", a local date and time, plain numbers.
function values(problem) {
  const shown = {};
  for (const [name, value] of Object.entries(problem)) {
    if (value === null || value === undefined) continue;
    if (isMoney(value)) shown[name] = moneyText(value.amount, value.currency);
    else if (name in WORDS && typeof value === "string") shown[name] = WORDS[name](value);
    else if (MOMENTS.has(name) && typeof value === "string") shown[name] = when(value) || value;
    else if (typeof value === "number" || typeof value === "string") shown[name] = String(value);
  }
  return shown;
}

// The player's text for the problem, or null when the page has none for it.
export function reasonText(problem) {
  if (!problem || typeof problem.reason !== "string" || !/^[a-z_.]+$/.test(problem.reason)) return null;
  const key = `problem.${problem.reason}`;
  if (!has(key)) return null;
  const text = t(key, values(problem));
  return /\{\w+\}/.test(text) ? null : text; // a number the text names did not come
}
