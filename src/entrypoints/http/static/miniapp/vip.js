// VIP: the player's level and progress (GET /vip), the rakeback they can claim
// (POST /vip/rakeback/claim, one claim id per press, so a double tap is one claim) and the
// daily play-money bonus (POST /vip/daily). A player the standing refuses promotions gets a
// refusal from GET /vip: the lobby then shows no VIP button at all.
import { newRequestId, request } from "./api.js";
import { t, tOr } from "./i18n.js";
import { $, h, moneyText, once, showBalances } from "./ui.js";

const vip = { status: null, claimIds: {} };

function money(amount) {
  // As the rest of the app writes amounts ("2,500 ⭐"); play money in whole FUN (its minor
  // unit is a hundredth).
  if (amount.currency === "FUN") return `${(amount.amount / 100).toLocaleString("en")} FUN`;
  return moneyText(amount.amount.toLocaleString("en"), amount.currency);
}

async function refreshBalance() {
  showBalances((await request("GET", "/balances")).balances);
}

function utcTime(iso) {
  const at = new Date(iso);
  return `${String(at.getUTCHours()).padStart(2, "0")}:${String(at.getUTCMinutes()).padStart(2, "0")} UTC`;
}

function claimRow(amount) {
  const currency = amount.currency;
  vip.claimIds[currency] = vip.claimIds[currency] || newRequestId();
  const button = h("button", { type: "button", id: `vip-claim-${currency}`, text: t("vip.claim", { amount: money(amount) }) });
  button.addEventListener("click", () =>
    once(button, t("vip.claiming"), async () => {
      const paid = await request("POST", "/vip/rakeback/claim", { currency, claim_id: vip.claimIds[currency] });
      delete vip.claimIds[currency]; // the next press is a new claim
      $("vip-note").textContent = t("vip.claimed", { amount: money(paid.paid) });
      $("vip-note").hidden = false;
      await Promise.all([refreshVip(), refreshBalance()]);
    }),
  );
  return h("li", {}, h("span", { class: "row-main", text: t("vip.claimable", { amount: money(amount) }) }), button);
}

// The default levels in the player's language; an operator's own names as written (as the bot).
function levelName(name) {
  return tOr(`vip.level_${name}`, name);
}

function render(status) {
  const progress = status.next_level
    ? Math.min(100, Math.round((100 * status.wagered.amount) / status.next_level.threshold.amount))
    : 100;
  $("vip-level").textContent = levelName(status.level.name);
  $("vip-share").textContent = t("vip.share", { percent: status.level.rakeback_percent });
  $("vip-wagered").textContent = t("vip.wagered", { days: status.window_days, amount: money(status.wagered) });
  $("vip-bar").value = progress;
  $("vip-next").textContent = status.next_level
    ? t("vip.next", { amount: money(status.to_next), level: levelName(status.next_level.name), percent: status.next_level.rakeback_percent })
    : t("vip.top");
  const owed = status.claimable.filter((a) => a.amount > 0);
  $("vip-claims").replaceChildren(...owed.map(claimRow));
  $("vip-nothing").hidden = owed.length > 0;
  $("vip-daily-text").textContent = status.daily_taken
    ? t("vip.daily_taken", { time: utcTime(status.next_daily_at) })
    : t("vip.daily_ready", { amount: money(status.daily_bonus) });
  $("vip-daily").hidden = status.daily_taken;
  $("vip-daily").textContent = t("vip.daily_take", { amount: money(status.daily_bonus) });
}

// The lobby's VIP button shows only for a player the standing lets receive promotions.
export async function refreshVip() {
  try {
    vip.status = await request("GET", "/vip");
  } catch {
    vip.status = null;
  }
  $("open-vip").hidden = vip.status === null;
  if (vip.status) render(vip.status);
  return vip.status;
}

export async function openVip() {
  $("vip-note").hidden = true;
  const [status] = await Promise.all([request("GET", "/vip"), refreshBalance()]); // a refusal is the message line
  vip.status = status;
  render(status);
}

export function setUpVip() {
  $("vip-daily").addEventListener("click", () =>
    once($("vip-daily"), t("vip.taking"), async () => {
      const result = await request("POST", "/vip/daily", {});
      $("vip-note").textContent = result.paid
        ? t("vip.daily_paid", { amount: money(result.paid) })
        : t("vip.daily_again", { time: utcTime(result.next_at) });
      $("vip-note").hidden = false;
      await refreshVip();
    }),
  );
}
