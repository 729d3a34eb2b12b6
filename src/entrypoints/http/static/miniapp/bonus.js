// The player's bonus (GET /bonus; docs/bonuses.md): each active bonus with its wagering
// progress ("120 of 500 ⭐ wagered", amounts written as everywhere in the app: ui.js moneyText), the largest stake that counts, the expiry in the
// player's own time zone (named), and how much each game counts. A player who may not hear of
// promotions gets `shown: false`: the lobby shows no button and this screen stays closed.
import { request } from "./api.js";
import { language, t } from "./i18n.js";
import { $, gameTitle, h, moneyText } from "./ui.js";

function expiry(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  // dateStyle cannot be combined with timeZoneName: the fields one by one.
  const fields = { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" };
  return date.toLocaleString(language(), { ...fields, timeZoneName: "short" });
}

function money(amount) {
  return moneyText(amount.amount, amount.currency);
}

function bonusCard(bonus) {
  const required = bonus.required.amount;
  const share = required > 0 ? Math.min(100, Math.floor((100 * bonus.wagered.amount) / required)) : 100;
  const lines = [h("p", { class: "bonus-amount", text: t("bonus.amount", { amount: money(bonus.amount) }) })];
  if (required > 0) {
    lines.push(
      h("progress", { max: "100", value: String(share), "aria-label": t("bonus.progress_label") }),
      h("p", { text: t("bonus.progress", { wagered: bonus.wagered.amount, required: money(bonus.required) }) }),
    );
  }
  lines.push(h("p", { class: "hint", text: t("bonus.expires", { when: expiry(bonus.expires_at) }) }));
  if (bonus.max_stake && required > 0) {
    lines.push(h("p", { class: "hint", text: t("bonus.max_stake", { max_stake: money(bonus.max_stake) }) }));
  }
  lines.push(
    h("p", {
      class: "hint",
      text: t(bonus.claimable ? "bonus.ready" : "bonus.rule"),
    }),
  );
  return h("li", { class: "bonus", dataset: { claimable: String(bonus.claimable) } }, ...lines);
}

function contributionRows(contributions, titles) {
  // The games of this app, by their titles (Telegram's dice games are the bot's).
  const byShare = new Map();
  for (const c of contributions.filter((c) => c.game in titles)) {
    if (!byShare.has(c.pct)) byShare.set(c.pct, []);
    byShare.get(c.pct).push(titles[c.game]);
  }
  return [...byShare.entries()].map(([pct, games]) =>
    h("li", {}, h("span", { class: "row-main" }, h("strong", { text: `${pct}%` }), ` ${games.join(", ")}`)),
  );
}

// Whether the lobby offers the screen: an active bonus, and a player who may hear of it.
export async function bonusShown() {
  const found = await request("GET", "/bonus");
  return found.shown && found.bonuses.length > 0;
}

export async function openBonus(games) {
  const found = await request("GET", "/bonus");
  const titles = Object.fromEntries((games || []).map((g) => [g.code, gameTitle(g)]));
  $("bonus-list").replaceChildren(...found.bonuses.map(bonusCard));
  $("bonus-empty").hidden = found.bonuses.length > 0;
  $("bonus-contributions").replaceChildren(...contributionRows(found.contributions, titles));
}
