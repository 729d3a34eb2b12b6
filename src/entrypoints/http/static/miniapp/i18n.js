// The page's words in the player's language: one table per language under locales/ (the same
// five languages as the bot, the same {placeholder} style; docs/languages.md), English the
// fallback for a text a table lacks. The language is Telegram's language_code until the
// session says the player's own choice (the bot's language screen), which then wins.
// Elements of index.html carry their text's key: data-t (the text), data-t-placeholder,
// data-t-aria-label; everything the scripts write goes through t().

export const LANGUAGES = ["en", "ru", "es", "pt", "tr"];
const FALLBACK = "en";

const words = { language: FALLBACK, chosen: {}, fallback: {} };

// "pt-BR" -> "pt"; a language the page does not speak -> English (as the bot's pick_language).
export function pickLanguage(code) {
  const base = String(code || "").split("-")[0].toLowerCase();
  return LANGUAGES.includes(base) ? base : FALLBACK;
}

async function load(language) {
  const response = await fetch(`/app/locales/${language}.json`, { cache: "no-cache" });
  if (!response.ok) throw new Error(`no texts for ${language} (HTTP ${response.status})`);
  return response.json();
}

export function language() {
  return words.language;
}

// Loads the language's table (and English, once) and rewrites the page's own texts in it.
export async function setLanguage(code) {
  const chosen = pickLanguage(code);
  if (!Object.keys(words.fallback).length) words.fallback = await load(FALLBACK);
  if (chosen === words.language && Object.keys(words.chosen).length) return;
  try {
    words.chosen = chosen === FALLBACK ? words.fallback : await load(chosen);
    words.language = chosen;
  } catch (error) {
    console.error(error); // English, rather than no words at all
    words.chosen = words.fallback;
    words.language = FALLBACK;
  }
  document.documentElement.lang = words.language;
  translatePage();
}

export function has(key) {
  return key in words.chosen || key in words.fallback;
}

// The text of `key` with its {placeholders} filled (as text: nothing here becomes markup).
export function t(key, values = {}) {
  const template = words.chosen[key] ?? words.fallback[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

// A server word (a game's title, a parameter's label) in the player's language when the table
// knows it under `key`, else as the server wrote it.
export function tOr(key, otherwise, values = {}) {
  return has(key) ? t(key, values) : otherwise;
}

export function translatePage(root = document) {
  for (const node of root.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  for (const node of root.querySelectorAll("[data-t-placeholder]")) node.placeholder = t(node.dataset.tPlaceholder);
  for (const node of root.querySelectorAll("[data-t-aria-label]")) node.setAttribute("aria-label", t(node.dataset.tAriaLabel));
}
