// A game's rules before a bet (UKGC RTS 3): a folded "ℹ️ Rules" panel under each game's title,
// filled from GET /games/{code}/rules — the same numbers the bot shows, computed by the server
// from the game itself (RTP rounded down, house edge up). Nothing here computes a number.
import { request } from "./api.js";
import { $, CURRENCY, h, moneyText } from "./ui.js";

const SOURCES = {
  provably_fair: "🔐 Provably fair: the outcome comes from your seed pair; check any bet after rotating your seed (Fairness).",
  telegram_dice: "🎲 The outcome is the value of the dice the bot sends in the chat after your bet is placed.",
  crash_round: "🔐 Provably fair: every round's crash point comes from a published hash chain.",
};

function rtpText(rules) {
  if (rules.rtp_low === rules.rtp_high) {
    return `Return to player: ${rules.rtp_low}% · house edge: ${rules.house_edge_high}%`;
  }
  return (
    `Return to player: ${rules.rtp_low}%–${rules.rtp_high}% depending on the bet · ` +
    `house edge: ${rules.house_edge_low}%–${rules.house_edge_high}%`
  );
}

function payLine(line) {
  const what = Object.values(line.params).join(" ") || "win";
  return h("li", { text: `${what} ×${line.multiplier} — chance ${line.chance} (${line.chance_percent}%)` });
}

function panel(rules) {
  const biggest = rules.max_payout
    ? `Biggest win: ×${rules.max_multiplier} the stake; one bet pays at most ${moneyText(rules.max_payout.amount, rules.max_payout.currency)}.`
    : `Biggest win: ×${rules.max_multiplier} the stake.`;
  return h(
    "details",
    { class: "rules-panel", id: `rules-${rules.code}` },
    h("summary", { text: "ℹ️ Rules" }),
    h("p", { class: "rules-rtp", text: rtpText(rules) }),
    rules.pay_table.length ? h("ul", { class: "rules-table" }, rules.pay_table.map(payLine)) : null,
    h("p", { text: biggest }),
    h("p", { class: "hint", text: "Wins are rounded down. The return to player is the long-run average over many bets, not a promise for one." }),
    h("p", { class: "hint", text: SOURCES[rules.source] || "" }),
  );
}

// Put the game's rules panel under the title of `screen` (the section the game plays in).
export async function showRules(code, screen) {
  const section = $(screen);
  section.querySelectorAll(".rules-panel").forEach((old) => old.remove());
  const rules = await request("GET", `/games/${encodeURIComponent(code)}/rules?currency=${CURRENCY}`);
  section.querySelector("h1").after(panel(rules));
}
