// The Croupier Mini App: a lobby of the games the API offers, each game's screen, history,
// limits and breaks, and provably fair seeds, with the balance on every screen and live
// updates. Plain browser JavaScript modules, no build step. Server data is only ever put on
// the page as text or attributes, never parsed as HTML.
import { showMoreGames } from "./aggregator_games.js";
import { openSession, request, setInitData } from "./api.js";
import { bonusShown, openBonus } from "./bonus.js";
import { openCare, refreshReality, setUpCare } from "./care.js";
import { openDeposit, setUpDeposit } from "./deposit.js";
import { refreshFairness, setUpFairness } from "./fairness.js";
import { openHistory, setUpHistory } from "./history.js";
import { openInstant, setUpInstant } from "./instant.js";
import { openCrash, setUpCrash } from "./crash.js";
import { connectLive, liveOff } from "./live.js";
import { openMines, setUpMines } from "./mines.js";
import { openNotifications } from "./notifications.js";
import { openReferral, refreshReferral, setUpReferral } from "./referral.js";
import { showRules } from "./rules.js";
import { applyTheme, launchParams } from "./theme.js";
import { setLanguage, t } from "./i18n.js";
import { openVip, refreshVip, setUpVip } from "./vip.js";
import { $, CURRENCY, amountText, chooseCurrency, gameTitle, h, knownCurrency, liveBalanceCount, once, showBalances, showError, showMessage, showStatus, moneyText } from "./ui.js";

const SCREENS = ["gate", "lobby", "game", "mines", "crash", "history", "care", "fairness", "bonus", "vip", "referral", "notifications", "deposit"];
const GAME_SCREENS = new Set(["game", "mines", "crash"]);
// Games played in steps need their own screen; instant games all share the one form.
const STEP_SCREENS = { mines: { screen: "mines", open: openMines } };
// Games played on shared rounds (crash) have their own screen too.
const ROUND_SCREENS = { crash: { screen: "crash", open: openCrash } };
const REALITY_EVERY_MS = 60_000; // how often a bet also asks whether a reality check is due

const app = { games: [], offers: [], balances: [], screen: null, webApp: null, realityAt: 0 };

function playable(offer) {
  return (
    offer.kind === "instant" ||
    (offer.kind === "steps" && offer.code in STEP_SCREENS) ||
    (offer.kind === "rounds" && offer.code in ROUND_SCREENS)
  );
}

function show(name, title = "") {
  app.screen = name;
  for (const screen of SCREENS) $(screen).hidden = screen !== name;
  const home = name === "lobby" || name === "gate";
  $("back").hidden = home;
  showCurrencySwitch();
  $("greeting").hidden = !home;
  // crash's outcome is its round's, from the hash chain, not the player's seeds
  $("commitment").hidden = !GAME_SCREENS.has(name) || name === "crash";
  document.title = title ? `Croupier · ${title}` : "Croupier";
  const back = app.webApp && app.webApp.BackButton;
  if (back) {
    try {
      if (home) back.hide();
      else back.show();
    } catch {
      // an older client: the page's own back button is there
    }
  }
  window.scrollTo(0, 0);
}

function lobbyTile(offer) {
  const bounds = (offer.limits || {})[CURRENCY];
  return h(
    "li",
    {},
    h(
      "button",
      { type: "button", class: "tile-game", id: `play-${offer.code}`, dataset: { game: offer.code }, onclick: () => openGame(offer) },
      h("span", { class: "tile-title", text: gameTitle(offer) }),
      h("span", { class: "tile-hint", text: bounds ? `${amountText(bounds.min_stake, CURRENCY)}–${moneyText(bounds.max_stake, CURRENCY)}` : "" }),
    ),
  );
}

async function loadLobby() {
  const found = await request("GET", "/games");
  app.offers = found.games.filter(playable);
  // A choice kept from an earlier visit that no longer stands (nothing held, no game takes
  // it) falls back to Stars.
  if (!currencyChoices().includes(CURRENCY)) chooseCurrency("XTR");
  listGames();
}

function listGames() {
  app.games = app.offers.filter((g) => (g.limits || {})[CURRENCY]);
  $("game-list").replaceChildren(...app.games.map(lobbyTile));
  $("games-empty").hidden = app.games.length > 0;
  showCurrencySwitch();
}

// -- the currency played in ------------------------------------------------------------------

// Stars, and every other currency the player holds that some game here takes stakes in.
function currencyChoices() {
  const taken = new Set(app.offers.flatMap((g) => Object.keys(g.limits || {})));
  const held = app.balances
    .filter((b) => b.currency !== "XTR" && knownCurrency(b.currency) && taken.has(b.currency))
    .filter((b) => b.amount > 0 || b.currency === CURRENCY)
    .map((b) => b.currency);
  return ["XTR", ...held];
}

// The switch beside the balance, on the lobby only, when there is a choice to make.
function showCurrencySwitch() {
  const choices = currencyChoices();
  const select = $("currency-choice");
  const offered = app.screen === "lobby" && choices.length > 1;
  select.hidden = !offered;
  $("balance-currency").hidden = offered;
  if (!offered) return;
  const options = choices.map((code) =>
    h("option", { value: code, selected: code === CURRENCY, text: code === "XTR" ? t("bar.currency_stars") : code }),
  );
  select.replaceChildren(...options);
  select.value = CURRENCY;
}

function switchCurrency() {
  chooseCurrency($("currency-choice").value);
  showBalances(app.balances);
  listGames();
}

async function openGame(offer) {
  await once(null, null, async () => {
    if (offer.kind === "instant") {
      openInstant(offer);
      show("game", gameTitle(offer));
      openRules(offer.code, "game");
      return;
    }
    const step = (offer.kind === "rounds" ? ROUND_SCREENS : STEP_SCREENS)[offer.code];
    await step.open(offer);
    show(step.screen, gameTitle(offer));
    openRules(offer.code, step.screen);
  });
}

// The game's rules before a bet (UKGC RTS 3, rules.js), loaded beside the screen rather than
// before it: a live round (crash) must not wait for them.
function openRules(code, screen) {
  showRules(code, screen).catch(showError);
}

function openLobby() {
  showMessage("");
  show("lobby");
}

async function openPage(name, title, load) {
  await once(null, null, async () => {
    await load();
    show(name, title);
  });
}

async function afterBet() {
  await refreshFairness();
  if (Date.now() - app.realityAt > REALITY_EVERY_MS) {
    app.realityAt = Date.now();
    await refreshReality();
  }
}

async function refreshBalances() {
  const before = liveBalanceCount();
  const found = await request("GET", "/balances");
  // A live change that arrived while this was in flight may be newer than what it read;
  // if the read was the newer one, its event is still on the way.
  app.balances = found.balances || [];
  if (liveBalanceCount() === before) showBalances(found.balances);
  if (app.screen === "lobby") showCurrencySwitch();
}

async function refreshBonusButton() {
  $("open-bonus").hidden = !(await bonusShown());
}

async function enterLobby() {
  await Promise.all([loadLobby(), showMoreGames(app.webApp), refreshFairness(), refreshReality(), refreshBonusButton(), refreshVip(), refreshReferral()]);
  app.realityAt = Date.now();
  openLobby();
}

async function acceptTerms() {
  await once($("accept-terms"), null, async () => {
    await request("POST", "/terms", {});
    await enterLobby();
  });
}

function wire() {
  $("accept-terms").addEventListener("click", acceptTerms);
  $("back").addEventListener("click", openLobby);
  $("currency-choice").addEventListener("change", switchCurrency);
  $("open-history").addEventListener("click", () => openPage("history", t("lobby.history"), () => openHistory(app.games)));
  $("open-care").addEventListener("click", () => openPage("care", t("lobby.care"), openCare));
  $("open-deposit").addEventListener("click", () => openPage("deposit", t("deposit.title"), openDeposit));
  $("open-fairness").addEventListener("click", () => openPage("fairness", t("lobby.fairness"), refreshFairness));
  $("open-bonus").addEventListener("click", () => openPage("bonus", t("lobby.bonus"), () => openBonus(app.games)));
  $("open-vip").addEventListener("click", () => openPage("vip", "VIP", openVip));
  $("open-referral").addEventListener("click", () => openPage("referral", t("lobby.referral"), openReferral));
  $("open-notifications").addEventListener("click", () => openPage("notifications", t("lobby.notifications"), openNotifications));
  setUpInstant(afterBet);
  setUpMines(afterBet);
  setUpCrash(afterBet);
  setUpHistory();
  setUpCare(() => {});
  setUpFairness();
  setUpVip();
  setUpReferral(app.webApp);
  setUpDeposit(app.webApp, () => refreshBalances().catch(() => {}));
  if (app.webApp && app.webApp.BackButton) {
    try {
      app.webApp.BackButton.onClick(openLobby);
    } catch {
      // an older client
    }
  }
}

// Telegram's script (index.html, `async`, when the server adds it) may still be on its way:
// wait for it to load or fail, at most TELEGRAM_SCRIPT_WAIT_MS, then start without it if need
// be (launch data from the URL fragment, payment links opened by the page).
const TELEGRAM_SCRIPT_WAIT_MS = 2500;

function telegramScript() {
  const tag = document.getElementById("telegram-web-app");
  if (!tag || (window.Telegram && window.Telegram.WebApp)) return Promise.resolve();
  // Fetched already (an async script runs as soon as it arrives): it gave no Telegram.WebApp.
  if (performance.getEntriesByName(tag.src).some((entry) => entry.responseEnd > 0)) return Promise.resolve();
  return new Promise((resolve) => {
    tag.addEventListener("load", resolve, { once: true });
    tag.addEventListener("error", resolve, { once: true });
    setTimeout(resolve, TELEGRAM_SCRIPT_WAIT_MS);
  });
}

async function start() {
  await telegramScript();
  const launch = launchParams();
  applyTheme(launch.theme);
  app.webApp = launch.webApp;
  if (launch.webApp) {
    try {
      launch.webApp.ready();
      launch.webApp.expand();
      // The player switches Telegram's theme while the page is open: follow it.
      if (typeof launch.webApp.onEvent === "function") {
        launch.webApp.onEvent("themeChanged", () => applyTheme(launch.webApp.themeParams));
      }
    } catch {
      // an older client: nothing to do
    }
  }
  const user = launchUser(launch.initData);
  // Telegram's language first, so even "Opening your session…" reads right; the session then
  // says the player's own choice from the bot's language screen.
  await setLanguage(user.language_code).catch((error) => console.error(error));
  wire();
  if (!launch.initData) {
    showStatus("");
    showMessage(t("app.outside_telegram"));
    liveOff();
    return;
  }
  setInitData(launch.initData);
  const name = typeof user.first_name === "string" ? user.first_name.slice(0, 64) : "";
  try {
    const session = await openSession();
    await setLanguage(session.language).catch((error) => console.error(error));
    $("greeting").textContent = name ? t("app.hi", { name }) : "";
    const me = await request("GET", "/me");
    app.balances = me.balances || [];
    chooseCurrency(CURRENCY); // the balance's mark says the currency kept from last time
    showBalances(me.balances);
    if (session.terms_accepted) await enterLobby();
    else show("gate");
    showStatus("");
    connectLive(
      () => {
        refreshBalances().catch(() => {});
        if (GAME_SCREENS.has(app.screen) || app.screen === "fairness") refreshFairness().catch(() => {});
      },
      () => {
        if (GAME_SCREENS.has(app.screen)) refreshFairness().catch(() => {});
      },
    );
  } catch (error) {
    showStatus("");
    showError(error);
  }
}

// The user Telegram signed into the launch data (its name and language), or {}.
function launchUser(initData) {
  try {
    const parsed = JSON.parse(new URLSearchParams(initData).get("user") || "null");
    return parsed && typeof parsed === "object" ? parsed : {};
  } catch {
    return {};
  }
}

start();
