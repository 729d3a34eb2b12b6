// Limits and breaks (responsible gambling): deposit, loss and wagering limits (a raise or a
// removal waits 24 h and then a confirmation), the reality check, a time-out and a
// self-exclusion (both at once and final, so each asks to be confirmed on the page first).
import { request } from "./api.js";
import { $, CURRENCY, h, once, when, moneyText } from "./ui.js";

const KINDS = { deposit: "Deposit", loss: "Loss", wager: "Wagering" };
const PERIODS = { "24h": "24 hours", "7d": "7 days", "30d": "30 days" };

let onExcluded = () => {};

function note(text) {
  $("care-note").textContent = text;
  $("care-note").hidden = !text;
}

function limitRow(limit) {
  const currency = limit.limit.currency;
  const lines = [
    h("span", { class: "row-main" }, h("strong", { text: `${KINDS[limit.kind] || limit.kind} limit` }), ` per ${PERIODS[limit.period] || limit.period}`),
    h("span", { class: "row-side", text: `${moneyText(limit.limit.amount, currency)}` }),
    h("span", { class: "row-hint", text: `Used ${moneyText(limit.used, currency)}, ${moneyText(limit.remaining, currency)} left` }),
  ];
  const due = limit.confirmable_at && Date.parse(limit.confirmable_at) <= Date.now();
  if (limit.pending_amount !== null || limit.pending_removal) {
    const what = limit.pending_removal ? "Removal" : `Raise to ${moneyText(limit.pending_amount, currency)}`;
    lines.push(
      h("span", { class: "row-hint", text: due ? `${what}: ready to confirm.` : `${what} waits until ${when(limit.confirmable_at)}.` }),
    );
  }
  const path = `/limits/${encodeURIComponent(limit.kind)}/${encodeURIComponent(limit.period)}`;
  const actions = h("span", { class: "row-actions" });
  if (due) {
    const confirm = h("button", { type: "button", class: "small", text: "Confirm" });
    confirm.addEventListener("click", () =>
      once(confirm, "…", async () => {
        await request("POST", `${path}/confirm?currency=${currency}`, {});
        await openCare();
        note("The change is in force.");
      }),
    );
    actions.append(confirm);
  } else if (!limit.pending_removal) {
    const remove = h("button", { type: "button", class: "small secondary", text: "Remove" });
    remove.addEventListener("click", () =>
      once(remove, "…", async () => {
        const change = await request("DELETE", `${path}?currency=${currency}`);
        await openCare();
        note(change.applied ? "The limit is removed." : `The removal waits 24 hours: confirm it after ${when(change.confirmable_at)}.`);
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
    ? `Every ${check.minutes} minutes; the next at ${when(check.next_due)}.`
    : "Off.";
  if (check) $("reality-minutes").value = String(check.minutes);
  const exclusion = care.exclusion;
  $("breaks").hidden = Boolean(exclusion);
  $("excluded").hidden = !exclusion;
  if (exclusion) {
    const kind = exclusion.kind === "timeout" ? "a time-out" : "a self-exclusion";
    $("excluded").textContent = exclusion.until
      ? `You are on ${kind} until ${when(exclusion.until)}.`
      : `You have excluded yourself with no end date.`;
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
    $("reality-text").textContent =
      `Reality check: you asked to be reminded every ${care.reality_check.minutes} minutes. ` +
      `Your history shows what you have staked and won.`;
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
    once($("limit-save"), "Saving…", async () => {
      const amount = Number($("limit-amount").value);
      if (!Number.isSafeInteger(amount) || amount < 1) {
        note("A limit is a whole number of Stars, at least 1.");
        return;
      }
      const path = `/limits/${$("limit-kind").value}/${$("limit-period").value}`;
      const change = await request("PUT", path, { amount, currency: CURRENCY });
      await openCare();
      note(change.applied ? "The limit is in force." : `A higher limit waits 24 hours: confirm it after ${when(change.confirmable_at)}.`);
    });
  });
  $("reality-form").addEventListener("submit", (event) => {
    event.preventDefault();
    once($("reality-save"), "Saving…", async () => {
      const minutes = Number($("reality-minutes").value);
      await request("PUT", "/reality-check", { minutes: Number.isSafeInteger(minutes) ? minutes : -1 });
      await openCare();
      note("The reality check is set.");
    });
  });
  $("reality-off").addEventListener("click", () =>
    once($("reality-off"), "…", async () => {
      await request("PUT", "/reality-check", { minutes: null });
      await openCare();
      note("The reality check is off.");
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
    () => `No play for ${label($("timeout-period"))}, starting now. This cannot be undone.`,
    () => request("POST", "/timeout", { period: $("timeout-period").value }),
  );
  confirmStep(
    $("exclusion-start"),
    "exclusion-confirm",
    () => `You exclude yourself for ${label($("exclusion-period"))}, starting now. This cannot be undone.`,
    () => request("POST", "/self-exclusion", { period: $("exclusion-period").value }),
  );
}
