// Telegram's launch parameters and theme: tgWebAppThemeParams become the --tg-theme-* CSS
// variables (what Telegram's own script does), and the page's light or dark scheme follows
// the background colour, so the colours Telegram does not send match the ones it does.
import { parseJson } from "./api.js";

export function launchParams() {
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  const webApp = window.Telegram && window.Telegram.WebApp;
  return {
    initData: (webApp && webApp.initData) || fragment.get("tgWebAppData") || "",
    // Telegram's script outside Telegram has empty themeParams: the fragment's, if any.
    theme: webApp && webApp.themeParams && Object.keys(webApp.themeParams).length ? webApp.themeParams : parseJson(fragment.get("tgWebAppThemeParams")),
    webApp,
  };
}

const COLOUR = /^#([0-9a-f]{3}|[0-9a-f]{6}|[0-9a-f]{8})$/i;

export function applyTheme(theme) {
  if (!theme || typeof theme !== "object") return;
  const root = document.documentElement;
  for (const [key, value] of Object.entries(theme)) {
    if (/^[a-z_]{1,40}$/.test(key) && typeof value === "string" && COLOUR.test(value)) {
      // CSSOM, not a style attribute: the page's CSP allows no inline styles.
      root.style.setProperty(`--tg-theme-${key.replace(/_/g, "-")}`, value);
    }
  }
  const scheme = schemeOf(theme.bg_color);
  if (scheme) root.dataset.scheme = scheme;
}

// "dark" when the background's relative luminance is low, "light" when high.
function schemeOf(colour) {
  if (typeof colour !== "string" || !COLOUR.test(colour)) return null;
  let hex = colour.slice(1);
  if (hex.length === 3) hex = hex.replace(/./g, (c) => c + c);
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return luminance < 0.5 ? "dark" : "light";
}
