// A game's rules before a bet (UKGC RTS 3): a folded "ℹ️ Rules" panel under each game's title,
// filled from GET /games/{code}/rules — the same numbers the bot shows, computed by the server
// from the game itself (RTP rounded down, house edge up). Nothing here computes a number.
import { request } from "./api.js";
import { has, t } from "./i18n.js";
import { $, CURRENCY, h, moneyText } from "./ui.js";

// The numbers arrive as the server wrote them ("99.00"); every word is the player's language's
// (locales/<language>.json, the same texts as the bot's rules screen).
function rtpText(rules) {
  if (rules.rtp_low === rules.rtp_high) {
    return t("rules.rtp", { rtp: rules.rtp_low, edge: rules.house_edge_high });
  }
  return t("rules.rtp_range", {
    low: rules.rtp_low,
    high: rules.rtp_high,
    edge_low: rules.house_edge_low,
    edge_high: rules.house_edge_high,
  });
}

function payLine(line) {
  const label = Object.values(line.params).join(" ") || t("rules.win");
  return h("li", {
    text: t("rules.pay_line", {
      label,
      multiplier: line.multiplier,
      chance: line.chance,
      percent: line.chance_percent,
    }),
  });
}

function panel(rules) {
  const biggest = rules.max_payout
    ? t("rules.max_win_capped", {
        multiplier: rules.max_multiplier,
        payout: moneyText(rules.max_payout.amount, rules.max_payout.currency),
      })
    : t("rules.max_win", { multiplier: rules.max_multiplier });
  const source = `rules.source.${rules.source}`;
  return h(
    "details",
    { class: "rules-panel", id: `rules-${rules.code}` },
    h("summary", { text: t("rules.summary") }),
    h("p", { class: "rules-rtp", text: rtpText(rules) }),
    rules.pay_table.length ? h("ul", { class: "rules-table" }, rules.pay_table.map(payLine)) : null,
    h("p", { text: biggest }),
    h("p", { class: "hint", text: t("rules.rounding") }),
    has(source) ? h("p", { class: "hint", text: t(source) }) : null,
  );
}

// Put the game's rules panel under the title of `screen` (the section the game plays in).
export async function showRules(code, screen) {
  const section = $(screen);
  section.querySelectorAll(".rules-panel").forEach((old) => old.remove());
  const rules = await request("GET", `/games/${encodeURIComponent(code)}/rules?currency=${CURRENCY}`);
  section.querySelector("h1").after(panel(rules));
}
