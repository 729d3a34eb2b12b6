// Limits and breaks (responsible gambling): deposit, loss and wagering limits (a raise or a
// removal waits 24 h and then a confirmation), the reality check, a time-out and a
// self-exclusion (both at once and final, so each asks to be confirmed on the page first).
import { request } from "./api.js";
import { t, tOr } from "./i18n.js";
import { $, h, once, when, moneyText } from "./ui.js";

// The limits set here are in Stars (the bot's too), whatever currency the games play in.
const CURRENCY = "XTR";

let onExcluded = () => {};

function note(text) {
  $("care-note").textContent = text;
  $("care-note").hidden = !text;
}

function limitRow(limit) {
  const currency = limit.limit.currency;
  const lines = [
    h(
      "span",
      { class: "row-main" },
      h("strong", { text: tOr(`care.limit_${limit.kind}`, limit.kind) }),
      ` ${t("care.per_period", { period: tOr(`care.period_${limit.period}`, limit.period) })}`,
    ),
    h("span", { class: "row-side", text: `${moneyText(limit.limit.amount, currency)}` }),
    h("span", { class: "row-hint", text: t("care.used", { used: moneyText(limit.used, currency), left: moneyText(limit.remaining, currency) }) }),
  ];
  const due = limit.confirmable_at && Date.parse(limit.confirmable_at) <= Date.now();
  if (limit.pending_amount !== null || limit.pending_removal) {
    const what = limit.pending_removal ? t("care.removal") : t("care.raise", { amount: moneyText(limit.pending_amount, currency) });
    const text = due ? t("care.ready", { what }) : t("care.waits", { what, until: when(limit.confirmable_at) });
    lines.push(h("span", { class: "row-hint", text }));
  }
  const path = `/limits/${encodeURIComponent(limit.kind)}/${encodeURIComponent(limit.period)}`;
  const actions = h("span", { class: "row-actions" });
  if (due) {
    const confirm = h("button", { type: "button", class: "small", text: t("care.confirm") });
    confirm.addEventListener("click", () =>
      once(confirm, "…", async () => {
        await request("POST", `${path}/confirm?currency=${currency}`, {});
        await openCare();
        note(t("care.change_in_force"));
      }),
    );
    actions.append(confirm);
  } else if (!limit.pending_removal) {
    const remove = h("button", { type: "button", class: "small secondary", text: t("care.remove") });
    remove.addEventListener("click", () =>
      once(remove, "…", async () => {
        const change = await request("DELETE", `${path}?currency=${currency}`);
        await openCare();
        note(change.applied ? t("care.removed") : t("care.removal_waits", { at: when(change.confirmable_at) }));
      }),
    );
    actions.append(remove);
  }
  lines.push(actions);
  return h("li", { dataset: { kind: limit.kind, period: limit.period } }, lines);
}

function showCare(care) {
  $("limit-list").replaceChildren(...care.limits.map(limitRow));
  $("limits-empty").hidden = care.limits.length > 0;
  const check = care.reality_check;
  $("reality-now").textContent = check
    ? t("care.reality_every", { minutes: check.minutes, at: when(check.next_due) })
    : t("care.reality_off");
  if (check) $("reality-minutes").value = String(check.minutes);
  const exclusion = care.exclusion;
  $("breaks").hidden = Boolean(exclusion);
  $("excluded").hidden = !exclusion;
  if (exclusion) {
    const until = when(exclusion.until);
    $("excluded").textContent = !exclusion.until
      ? t("care.excluded_forever")
      : t(exclusion.kind === "timeout" ? "care.on_timeout" : "care.excluded_until", { until });
    onExcluded(exclusion);
  }
  showReality(care);
}

export async function openCare() {
  note("");
  showCare(await request("GET", "/limits"));
}

// The reality check banner, on any screen while a check is due.
function showReality(care) {
  const banner = $("reality");
  banner.hidden = !care.reality_check_due;
  if (care.reality_check_due && care.reality_check) {
    $("reality-text").textContent = t("reality.text", { minutes: care.reality_check.minutes });
  }
}

export async function refreshReality() {
  showReality(await request("GET", "/limits"));
}

function confirmStep(button, box, text, action) {
  button.addEventListener("click", () => {
    $(`${box}-text`).textContent = text();
    $(box).hidden = false;
    $(`${box}-yes`).focus();
  });
  $(`${box}-no`).addEventListener("click", () => {
    $(box).hidden = true;
  });
  $(`${box}-yes`).addEventListener("click", () =>
    once($(`${box}-yes`), "…", async () => {
      await action();
      $(box).hidden = true;
      await openCare();
    }),
  );
}

export function setUpCare(excluded) {
  onExcluded = excluded;
  $("limit-form").addEventListener("submit", (event) => {
    event.preventDefault();
    once($("limit-save"), t("app.saving"), async () => {
      const amount = Number($("limit-amount").value);
      if (!Number.isSafeInteger(amount) || amount < 1) {
        note(t("care.bad_amount"));
        return;
      }
      const path = `/limits/${$("limit-kind").value}/${$("limit-period").value}`;
      const change = await request("PUT", path, { amount, currency: CURRENCY });
      await openCare();
      note(change.applied ? t("care.in_force") : t("care.raise_waits", { at: when(change.confirmable_at) }));
    });
  });
  $("reality-form").addEventListener("submit", (event) => {
    event.preventDefault();
    once($("reality-save"), t("app.saving"), async () => {
      const minutes = Number($("reality-minutes").value);
      await request("PUT", "/reality-check", { minutes: Number.isSafeInteger(minutes) ? minutes : -1 });
      await openCare();
      note(t("care.reality_set"));
    });
  });
  $("reality-off").addEventListener("click", () =>
    once($("reality-off"), "…", async () => {
      await request("PUT", "/reality-check", { minutes: null });
      await openCare();
      note(t("care.reality_turned_off"));
    }),
  );
  $("reality-ack").addEventListener("click", () =>
    once($("reality-ack"), "…", async () => {
      await request("POST", "/reality-check/ack", {});
      $("reality").hidden = true;
    }),
  );
  const label = (select) => select.options[select.selectedIndex].textContent;
  confirmStep(
    $("timeout-start"),
    "timeout-confirm",
    () => t("care.timeout_sure", { period: label($("timeout-period")) }),
    () => request("POST", "/timeout", { period: $("timeout-period").value }),
  );
  confirmStep(
    $("exclusion-start"),
    "exclusion-confirm",
    () => t("care.exclusion_sure", { period: label($("exclusion-period")) }),
    () => request("POST", "/self-exclusion", { period: $("exclusion-period").value }),
  );
}
