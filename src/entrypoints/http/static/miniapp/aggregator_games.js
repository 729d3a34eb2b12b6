// "More games" in the lobby: the aggregators' slots and live games the operator turned on
// (GET /aggregator-games; docs/aggregators.md, "Launching a game"). Tapping one asks Croupier
// for its URL (POST /aggregator-games/{aggregator}/{game}/launch: a fresh game session for
// this player, in Stars) and opens it with Telegram.WebApp.openLink: the game runs in
// Telegram's browser beside the Mini App, which keeps its session, balance and live updates
// (navigating this page away would end them, and a third-party game page inside the Mini App
// would run with the Mini App's Telegram bridge). Outside Telegram, a new tab.
// Refusals (a break, the game switched off, the provider not answering) are the server's
// problem in the player's language (problems.js), on the message line; a game opened is a
// quiet note under the tiles.
import { request } from "./api.js";
import { t } from "./i18n.js";
import { $, h, once } from "./ui.js";

// Aggregators' games are launched in Stars: which other currencies each takes is not known here.
const CURRENCY = "XTR";

const state = { webApp: null };

function platform() {
  const name = state.webApp && typeof state.webApp.platform === "string" ? state.webApp.platform : "";
  return ["tdesktop", "macos", "web", "weba", "webk"].includes(name) ? "desktop" : "mobile";
}

function open(url) {
  if (state.webApp && typeof state.webApp.openLink === "function") {
    try {
      state.webApp.openLink(url);
      return;
    } catch {
      // an older client: a new window below
    }
  }
  window.open(url, "_blank", "noopener");
}

// The tile's second line says "Opening…" meanwhile (`once` would relabel the whole button,
// and a tile is two lines).
async function launch(game, button, hint) {
  const said = hint.textContent;
  const note = $("more-games-note");
  note.hidden = true;
  await once(button, null, async () => {
    hint.textContent = t("more.opening");
    try {
      const path = `/aggregator-games/${encodeURIComponent(game.aggregator)}/${encodeURIComponent(game.game_code)}/launch`;
      const launched = await request("POST", path, { currency: CURRENCY, platform: platform() });
      open(launched.url);
      note.textContent = t("more.opened", { game: game.name });
      note.hidden = false;
    } finally {
      hint.textContent = said;
    }
  });
}

function tile(game) {
  const hint = h("span", { class: "tile-hint", text: [game.product, game.category].filter(Boolean).join(" · ") });
  const button = h(
    "button",
    { type: "button", class: "tile-game tile-more", dataset: { aggregator: game.aggregator, code: game.game_code } },
    h("span", { class: "tile-title", text: game.name }),
    hint,
  );
  button.addEventListener("click", () => launch(game, button, hint));
  return h("li", {}, button);
}

// Fills the lobby's "More games"; hidden when there is none (or the list cannot be read: the
// house's own games are the lobby's first purpose).
export async function showMoreGames(webApp) {
  state.webApp = webApp;
  let games = [];
  try {
    games = (await request("GET", "/aggregator-games")).games;
  } catch (error) {
    console.error(error);
  }
  $("more-game-list").replaceChildren(...games.map(tile));
  $("more-games").hidden = games.length === 0;
}
