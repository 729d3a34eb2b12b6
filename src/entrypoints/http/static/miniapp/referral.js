// Referrals: the player's link, the friends it brought and the commission (GET /referral).
// The lobby's "Invite friends" button shows only when the route answers: a player the
// standing refuses promotions gets a refusal and sees nothing about referrals.
import { request } from "./api.js";
import { t } from "./i18n.js";
import { $, CURRENCY, h, moneyText } from "./ui.js";

const referral = { found: null };

function amounts(list) {
  return list.length ? list.map((a) => moneyText(a.amount, a.currency)).join(", ") : moneyText(0, CURRENCY);
}

function percent(bps) {
  return t("referral.percent", { value: (bps / 100).toFixed(2).replace(/\.?0+$/, "") });
}

function row(label, value) {
  return h("li", {}, h("span", { class: "row-main", text: label }), h("span", { class: "row-side", text: value }));
}

function show(found) {
  const link = found.link || `/start ${found.start_param}`;
  $("referral-link").textContent = link;
  $("referral-share").hidden = !found.link;
  const period = t(`referral.period_${found.period}`);
  const rule = t(found.basis === "ngr" ? "referral.rule_ngr" : "referral.rule_deposits", { share: percent(found.share_bps) });
  $("referral-rule").textContent = found.caps.length
    ? t("referral.how", { rule, period, caps: amounts(found.caps) })
    : t("referral.none");
  $("referral-stats").replaceChildren(
    row(t("referral.invited"), String(found.referred)),
    row(t("referral.this_period", { period }), amounts(found.this_period)),
    row(t("referral.paid_total"), amounts(found.paid_total)),
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
  if (referral.found === null) throw new Error(t("referral.unavailable"));
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
