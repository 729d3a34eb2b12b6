// The free bets on the bonus screen (GET /bonus/free-bets; docs/bonuses.md, "Free bets"):
// each one to play with its game, stake, largest win and expiry, and a Play button
// (POST /bonus/free-bets/{id}/play, idempotent by the free bet: a double tap is one play);
// the played ones with their outcome, the bonus won and the proof line to verify them with.
import { request } from "./api.js";
import { t } from "./i18n.js";
import { $, choiceText, h, moneyText, multiplierText, once } from "./ui.js";

function money(amount) {
  return moneyText(amount.amount, amount.currency);
}

function proofLine(proof) {
  return t("free_bets.proof", { nonce: proof.nonce, client: proof.client_seed, hash: proof.server_seed_hash });
}

// What the free bet is on, as the game's own choices read ("heads"; Plinko's "8, low").
function option(freeBet) {
  return Object.entries(freeBet.params)
    .map(([param, choice]) => choiceText(freeBet.game, param, choice))
    .join(", ");
}

function playableCard(freeBet, title, when, played) {
  const game = title(freeBet.game);
  const button = h("button", { type: "button", class: "free-bet-play", text: t("free_bets.play") });
  button.addEventListener("click", () =>
    once(button, t("free_bets.playing"), async () => {
      played(await request("POST", `/bonus/free-bets/${freeBet.free_bet_id}/play`));
    }),
  );
  return h(
    "li",
    { class: "bonus free-bet", dataset: { freeBet: freeBet.free_bet_id } },
    h("p", { class: "bonus-amount", text: t("free_bets.line", { game, stake: money(freeBet.stake), option: option(freeBet), max_win: money(freeBet.max_win) }) }),
    h("p", { class: "hint", text: t("free_bets.until", { when: when(freeBet.expires_at) }) }),
    h("div", { class: "actions" }, button),
  );
}

function playedRow(freeBet, title) {
  const play = freeBet.played;
  const won = play.winnings.amount > 0;
  return h(
    "li",
    { class: "free-bet-played" },
    h(
      "span",
      { class: "row-main" },
      h("strong", { text: t("free_bets.outcome", { game: title(freeBet.game), outcome: play.outcome, multiplier: multiplierText(play.multiplier) }) }),
      h("br"),
      won ? t("free_bets.won", { winnings: money(play.winnings) }) : t("free_bets.lost"),
      h("br"),
      h("small", { class: "hint proof", text: proofLine(play.proof) }),
    ),
  );
}

// Fills the section; `played` is told of each play (the screen then refreshes).
export async function showFreeBets(title, when, played) {
  const found = await request("GET", "/bonus/free-bets");
  const section = $("free-bets");
  section.hidden = !found.shown || found.playable.length + found.played.length === 0;
  $("free-bet-list").replaceChildren(...found.playable.map((fb) => playableCard(fb, title, when, played)));
  $("free-bet-played").replaceChildren(...found.played.filter((fb) => fb.played).map((fb) => playedRow(fb, title)));
  $("free-bets-played-title").hidden = found.played.length === 0;
  return found;
}

// What a play says at once, above the lists: its outcome and what it won.
export function playNote(result, title) {
  const line = t("free_bets.outcome", {
    game: title(result.free_bet.game),
    outcome: result.outcome,
    multiplier: multiplierText(result.multiplier),
  });
  const won = result.winnings.amount > 0 ? t("free_bets.won", { winnings: money(result.winnings) }) : t("free_bets.lost");
  return `${line}. ${won}.`;
}

export async function hasFreeBets() {
  const found = await request("GET", "/bonus/free-bets");
  return found.shown && found.playable.length > 0;
}
