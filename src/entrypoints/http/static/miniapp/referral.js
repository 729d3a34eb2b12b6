// Referrals: the player's link, the friends it brought and the commission (GET /referral).
// The lobby's "Invite friends" button shows only when the route answers: a player the
// standing refuses promotions gets a refusal and sees nothing about referrals.
import { request } from "./api.js";
import { $, CURRENCY, h, moneyText } from "./ui.js";

const referral = { found: null };

function amounts(list) {
  return list.length ? list.map((a) => moneyText(a.amount, a.currency)).join(", ") : moneyText(0, CURRENCY);
}

function percent(bps) {
  return `${(bps / 100).toFixed(2).replace(/\.?0+$/, "")}%`;
}

function row(label, value) {
  return h("li", {}, h("span", { class: "row-main", text: label }), h("span", { class: "row-side", text: value }));
}

function show(found) {
  const link = found.link || `/start ${found.start_param}`;
  $("referral-link").textContent = link;
  $("referral-share").hidden = !found.link;
  const basis = found.basis === "ngr" ? "of what the house wins from your friends' bets" : "of your friends' deposits";
  $("referral-rule").textContent = found.caps.length
    ? `You earn ${percent(found.share_bps)} ${basis}, paid to your balance after each ${found.period}, up to ${amounts(found.caps)} per ${found.period}.`
    : "Referral commission is not offered right now.";
  $("referral-stats").replaceChildren(
    row("Friends invited", String(found.referred)),
    row(`This ${found.period} so far`, amounts(found.this_period)),
    row("Paid to you in total", amounts(found.paid_total)),
  );
}

// Whether the player may see referrals at all; keeps what it read for the screen.
export async function refreshReferral() {
  try {
    referral.found = await request("GET", "/referral");
  } catch {
    referral.found = null;
  }
  $("open-referral").hidden = referral.found === null;
}

export async function openReferral() {
  await refreshReferral();
  if (referral.found === null) throw new Error("Referrals are not available.");
  show(referral.found);
}

export function setUpReferral(webApp) {
  $("referral-share").addEventListener("click", () => {
    const link = referral.found && referral.found.link;
    if (!link) return;
    const share = `https://t.me/share/url?url=${encodeURIComponent(link)}`;
    try {
      if (webApp && webApp.openTelegramLink) webApp.openTelegramLink(share);
      else window.open(share, "_blank", "noopener");
    } catch {
      // an older client: the link is on the screen to copy
    }
  });
}
