// History: the player's bets (GET /bets, page by page) and wallet movements (GET /history,
// by cursor), newest first.
import { request } from "./api.js";
import { rendererFor } from "./outcomes.js";
import { t, tOr } from "./i18n.js";
import { $, capitalise, gameTitle, h, multiplierText, once, when, moneyText } from "./ui.js";

const history = { page: 0, cursor: null, titles: {} };

function betRow(bet) {
  const title = history.titles[bet.game] || capitalise(bet.game);
  const settled = bet.state === "won" || bet.state === "lost";
  const outcome = settled && bet.outcome !== null ? rendererFor(bet.game).outcome(bet) : tOr(`history.state.${bet.state}`, capitalise(bet.state));
  const result =
    bet.state === "won" ? `+${moneyText(bet.payout, bet.stake.currency)}` : bet.state === "lost" ? `−${moneyText(bet.stake.amount, bet.stake.currency)}` : "";
  const paid = bet.state === "won" ? ` · ${t("game.paid", { multiplier: multiplierText(bet.multiplier) })}` : "";
  return h(
    "li",
    { dataset: { state: bet.state, game: bet.game } },
    h("span", { class: "row-main" }, h("strong", { text: title }), ` ${moneyText(bet.stake.amount, bet.stake.currency)} · ${outcome}`),
    h("span", { class: "row-side", text: result }),
    h("span", { class: "row-hint", text: `${when(bet.placed_at)}${paid} · ${t("history.nonce", { nonce: bet.nonce ?? "–" })}` }),
  );
}

function movementRow(movement) {
  const amount = movement.amount.amount;
  const signed = amount > 0 ? `+${amount}` : `−${Math.abs(amount)}`;
  return h(
    "li",
    { dataset: { kind: movement.kind } },
    h("span", { class: "row-main" }, h("strong", { text: tOr(`history.kind.${movement.kind}`, capitalise(movement.kind)) })),
    h("span", { class: "row-side", text: `${moneyText(signed, movement.amount.currency)}` }),
    h("span", { class: "row-hint", text: `${when(movement.created_at)} · ${t("history.balance", { balance: movement.balance_after })}` }),
  );
}

async function moreBets() {
  const found = await request("GET", `/bets?page=${history.page + 1}&size=10`);
  history.page += 1;
  $("bet-list").append(...found.bets.map(betRow));
  $("bets-empty").hidden = $("bet-list").children.length > 0;
  $("more-bets").hidden = !found.has_more;
}

async function moreMovements() {
  const query = history.cursor ? `?limit=20&cursor=${encodeURIComponent(history.cursor)}` : "?limit=20";
  const found = await request("GET", `/history${query}`);
  history.cursor = found.next_cursor;
  $("movement-list").append(...found.movements.map(movementRow));
  $("movements-empty").hidden = $("movement-list").children.length > 0;
  $("more-movements").hidden = !found.next_cursor;
}

export function setUpHistory() {
  $("more-bets").addEventListener("click", () => once($("more-bets"), t("app.loading"), moreBets));
  $("more-movements").addEventListener("click", () => once($("more-movements"), t("app.loading"), moreMovements));
}

// games: the lobby's offers, for the games' names
export async function openHistory(games) {
  history.titles = Object.fromEntries(games.map((g) => [g.code, gameTitle(g)]));
  history.page = 0;
  history.cursor = null;
  $("bet-list").replaceChildren();
  $("movement-list").replaceChildren();
  await Promise.all([moreBets(), moreMovements()]);
}
