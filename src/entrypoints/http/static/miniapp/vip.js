// VIP: the player's level and progress (GET /vip), the rakeback they can claim
// (POST /vip/rakeback/claim, one claim id per press, so a double tap is one claim) and the
// daily play-money bonus (POST /vip/daily). A player the standing refuses promotions gets a
// refusal from GET /vip: the lobby then shows no VIP button at all.
import { newRequestId, request } from "./api.js";
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
  const button = h("button", { type: "button", id: `vip-claim-${currency}`, text: `Claim ${money(amount)}` });
  button.addEventListener("click", () =>
    once(button, "Claiming…", async () => {
      const paid = await request("POST", "/vip/rakeback/claim", { currency, claim_id: vip.claimIds[currency] });
      delete vip.claimIds[currency]; // the next press is a new claim
      $("vip-note").textContent = `${money(paid.paid)} of rakeback is in your balance. Thank you for playing!`;
      $("vip-note").hidden = false;
      await Promise.all([refreshVip(), refreshBalance()]);
    }),
  );
  return h("li", {}, h("span", { class: "row-main", text: `Ready to claim: ${money(amount)}` }), button);
}

function render(status) {
  const progress = status.next_level
    ? Math.min(100, Math.round((100 * status.wagered.amount) / status.next_level.threshold.amount))
    : 100;
  $("vip-level").textContent = status.level.name;
  $("vip-share").textContent = `Rakeback: ${status.level.rakeback_percent}% of the house edge on every bet you play`;
  $("vip-wagered").textContent = `Wagered in the last ${status.window_days} days: ${money(status.wagered)}`;
  $("vip-bar").value = progress;
  $("vip-next").textContent = status.next_level
    ? `${money(status.to_next)} more to reach ${status.next_level.name} (${status.next_level.rakeback_percent}% rakeback)`
    : "You are at the top level.";
  const owed = status.claimable.filter((a) => a.amount > 0);
  $("vip-claims").replaceChildren(...owed.map(claimRow));
  $("vip-nothing").hidden = owed.length > 0;
  $("vip-daily-text").textContent = status.daily_taken
    ? `Today's bonus is taken; the next one from ${utcTime(status.next_daily_at)}.`
    : `${money(status.daily_bonus)} of play money is waiting for you today.`;
  $("vip-daily").hidden = status.daily_taken;
  $("vip-daily").textContent = `Take ${money(status.daily_bonus)}`;
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
    once($("vip-daily"), "Taking…", async () => {
      const result = await request("POST", "/vip/daily", {});
      $("vip-note").textContent = result.paid
        ? `${money(result.paid)} of play money is in your balance. Come back tomorrow!`
        : `You already took today's bonus. The next one is ready from ${utcTime(result.next_at)}.`;
      $("vip-note").hidden = false;
      await refreshVip();
    }),
  );
}
