// The player's bonus (GET /bonus; docs/bonuses.md): each active bonus with its wagering
// progress ("120 of 500 ⭐ wagered", amounts written as everywhere in the app: ui.js moneyText), the largest stake that counts, the expiry in the
// player's own time zone (named), and how much each game counts; a Claim button once wagering
// is met (POST /bonus/{id}/claim) and Give up, which asks first (POST /bonus/{id}/give-up),
// the bot's own use cases behind both, each idempotent by the bonus; then the free bets
// (free_bets.js). A player who may not hear of promotions gets `shown: false`: the lobby
// shows no button and this screen stays closed.
import { request } from "./api.js";
import { hasFreeBets, playNote, showFreeBets } from "./free_bets.js";
import { language, t } from "./i18n.js";
import { $, gameTitle, h, moneyText, once, showBalances } from "./ui.js";

const screen = { titles: {} };

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
    actions(bonus),
  );
  return h("li", { class: "bonus", dataset: { claimable: String(bonus.claimable) } }, ...lines);
}

function note(text) {
  $("bonus-note").textContent = text;
  $("bonus-note").hidden = !text;
}

async function afterward(text) {
  note(text);
  const [balances] = await Promise.all([request("GET", "/balances"), render()]);
  showBalances(balances.balances);
}

// Claim (once wagering is met) and Give up; giving up swaps the buttons for a question.
function actions(bonus) {
  const row = h("div", { class: "actions" });
  const amount = money(bonus.amount);
  const claim = h("button", { type: "button", class: "bonus-claim", text: t("bonus.claim", { amount }) });
  claim.addEventListener("click", () =>
    once(claim, t("bonus.claiming"), async () => {
      const ended = await request("POST", `/bonus/${bonus.bonus_id}/claim`);
      const key = ended.state === "converted" ? "bonus.claimed" : "bonus.expired_now";
      await afterward(t(key, { amount: money(ended.amount) }));
    }),
  );
  const giveUp = h("button", { type: "button", class: "secondary bonus-give-up", text: t("bonus.give_up") });
  giveUp.addEventListener("click", () => row.replaceChildren(...confirmation(bonus, row, buttons)));
  const buttons = [bonus.claimable ? claim : null, giveUp].filter(Boolean);
  row.append(...buttons);
  return row;
}

function confirmation(bonus, row, buttons) {
  const amount = money(bonus.amount);
  const sure = h("button", { type: "button", class: "danger bonus-give-up-sure", text: t("bonus.give_up_sure") });
  sure.addEventListener("click", () =>
    once(sure, null, async () => {
      const ended = await request("POST", `/bonus/${bonus.bonus_id}/give-up`);
      const key = ended.state === "forfeited" ? "bonus.given_up" : "bonus.expired_now";
      await afterward(t(key, { amount: money(ended.amount) }));
    }),
  );
  const keep = h("button", { type: "button", class: "secondary bonus-keep", text: t("bonus.keep") });
  keep.addEventListener("click", () => row.replaceChildren(...buttons));
  return [h("p", { class: "bonus-ask", role: "alert", text: t("bonus.give_up_ask", { amount }) }), sure, keep];
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

// Whether the lobby offers the screen: an active bonus or a free bet to play, and a player
// who may hear of them.
export async function bonusShown() {
  const found = await request("GET", "/bonus");
  return found.shown && (found.bonuses.length > 0 || (await hasFreeBets()));
}

async function render() {
  const found = await request("GET", "/bonus");
  $("bonus-list").replaceChildren(...found.bonuses.map(bonusCard));
  $("bonus-empty").hidden = found.bonuses.length > 0;
  $("bonus-contributions").replaceChildren(...contributionRows(found.contributions, screen.titles));
  const title = (code) => screen.titles[code] || code;
  await showFreeBets(title, expiry, (result) => afterward(playNote(result, title)));
}

export async function openBonus(games) {
  screen.titles = Object.fromEntries((games || []).map((g) => [g.code, gameTitle(g)]));
  note("");
  await render();
}
