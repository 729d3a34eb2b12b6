// The deposit screen (docs/miniapp.md, "Deposit"): Telegram Stars through Telegram's own
// payment form (Telegram.WebApp.openInvoice), and USDT / TON through @CryptoBot when the
// operator set up Crypto Pay. The page never credits anything: the Stars arrive with
// Telegram's payment, crypto with Crypto Pay's confirmation, and the balance follows by the
// live updates. Before the first deposit the server asks for the prompt (UKGC RTS 12): a
// deposit limit or "No limit for now", then the deposit goes on.
import { ApiError, newRequestId, request } from "./api.js";
import { t } from "./i18n.js";
import { $, h, moneyText, once } from "./ui.js";

// Stars bought here are Stars whatever currency the games play in.
const CURRENCY = "XTR";

const PROMPT_DUE = "deposit_limit_prompt_due";
const STATUS_TEXT = { paid: "deposit.paid", cancelled: "deposit.cancelled", failed: "deposit.failed", pending: "deposit.pending" };

const deposit = {
  options: null,
  webApp: null,
  onPaid: () => {},
  // The crypto deposit being asked: a repeat of the same asset and amount (a double tap, a
  // retry after a lost answer) carries the same request id, so it is the same invoice.
  crypto: null,
};

function note(text) {
  $("deposit-note").textContent = text;
  $("deposit-note").hidden = !text;
}

function chip(label, onclick) {
  return h("button", { type: "button", class: "secondary", text: label, onclick });
}

function show(options) {
  deposit.options = options;
  $("deposit-prompt").hidden = !options.prompt_due;
  $("deposit-forms").hidden = options.prompt_due;
  const stars = options.stars;
  $("deposit-stars-hint").textContent = t("deposit.stars_hint", { min: moneyText(stars.min, CURRENCY), max: moneyText(stars.max, CURRENCY) });
  $("deposit-stars-amounts").replaceChildren(
    ...stars.amounts.map((amount) =>
      chip(moneyText(amount, CURRENCY), () => {
        $("deposit-stars-amount").value = String(amount);
        payStars();
      }),
    ),
  );
  const assets = options.crypto;
  $("deposit-crypto").hidden = assets.length === 0;
  if (assets.length) {
    const chosen = $("deposit-crypto-asset").value;
    $("deposit-crypto-asset").replaceChildren(...assets.map((a) => h("option", { value: a.asset, text: a.asset })));
    if (assets.some((a) => a.asset === chosen)) $("deposit-crypto-asset").value = chosen;
    showAsset();
  }
}

function asset() {
  return (deposit.options.crypto || []).find((a) => a.asset === $("deposit-crypto-asset").value);
}

function showAsset() {
  const offer = asset();
  if (!offer) return;
  $("deposit-crypto-hint").textContent = t("deposit.crypto_hint", { min: `${offer.min} ${offer.asset}`, max: `${offer.max} ${offer.asset}` });
  $("deposit-crypto-amounts").replaceChildren(
    ...offer.amounts.map((amount) =>
      chip(`${amount} ${offer.asset}`, () => {
        $("deposit-crypto-amount").value = amount;
      }),
    ),
  );
  if (!$("deposit-crypto-amount").value) $("deposit-crypto-amount").value = offer.amounts[0];
}

export async function openDeposit() {
  note("");
  $("deposit-crypto-invoice").hidden = true;
  show(await request("GET", "/deposit"));
}

// A refusal that means the prompt is owed (a limit removed since the screen opened): the
// screen asks it, and the refusal's words say why.
async function asking(action) {
  try {
    await action();
  } catch (error) {
    if (error instanceof ApiError && error.code === PROMPT_DUE) await openDeposit();
    throw error;
  }
}

function payStars() {
  return once($("deposit-stars-pay"), t("app.loading"), () =>
    asking(async () => {
      note("");
      const { min, max } = deposit.options.stars;
      const amount = Number($("deposit-stars-amount").value);
      if (!Number.isSafeInteger(amount) || amount < min || amount > max) {
        note(t("deposit.bad_amount", { min, max }));
        return;
      }
      const made = await request("POST", "/deposit/stars", { amount });
      const webApp = deposit.webApp;
      if (!webApp || typeof webApp.openInvoice !== "function") {
        // Without Telegram's script (docs/miniapp.md, "Mini App page") the link itself: the
        // client opens its payment form from it; the live updates bring the balance.
        window.open(made.link, "_blank", "noopener");
        note(t("deposit.opened"));
        return;
      }
      // Telegram shows its payment form over the page and says how it ended; the Stars are
      // credited when Telegram reports the payment, never from here.
      webApp.openInvoice(made.link, (status) => {
        note(t(STATUS_TEXT[status] || "deposit.pending"));
        if (status === "paid") deposit.onPaid();
      });
    }),
  );
}

function cryptoKey(assetCode, amount) {
  const same = deposit.crypto && deposit.crypto.asset === assetCode && deposit.crypto.amount === amount;
  if (!same) deposit.crypto = { asset: assetCode, amount, id: newRequestId() };
  return deposit.crypto.id;
}

function openPayLink(url) {
  const webApp = deposit.webApp;
  try {
    if (webApp && url.startsWith("https://t.me/") && webApp.openTelegramLink) webApp.openTelegramLink(url);
    else if (webApp && webApp.openLink) webApp.openLink(url);
    else window.open(url, "_blank", "noopener");
  } catch {
    window.open(url, "_blank", "noopener");
  }
}

// A twin request of the same key (a double tap, a retry) is creating this invoice at Crypto
// Pay right now: asked once more after a moment, the answer is its link (docs/miniapp.md,
// "Deposit"); if it is still being created, the player is told so in their language.
const BEING_CREATED = "crypto_invoice_being_created";
const BEING_CREATED_RETRY_MS = 1500;

async function askCryptoInvoice(assetCode, amount) {
  const body = { asset: assetCode, amount, request_id: cryptoKey(assetCode, amount) };
  try {
    return await request("POST", "/deposit/crypto", body);
  } catch (error) {
    if (!(error instanceof ApiError) || error.code !== BEING_CREATED) throw error;
  }
  await new Promise((resolve) => setTimeout(resolve, BEING_CREATED_RETRY_MS));
  return request("POST", "/deposit/crypto", body);
}

function createCryptoInvoice() {
  return once($("deposit-crypto-create"), t("app.loading"), () =>
    asking(async () => {
      note("");
      const offer = asset();
      if (!offer) return;
      const amount = $("deposit-crypto-amount").value.trim().replace(",", ".");
      if (!/^\d+(\.\d+)?$/.test(amount)) {
        note(t("deposit.crypto_bad_amount", { min: `${offer.min} ${offer.asset}`, max: `${offer.max} ${offer.asset}` }));
        return;
      }
      let made;
      try {
        made = await askCryptoInvoice(offer.asset, amount);
      } catch (error) {
        // Refused: the next tap is a new deposit (an expired invoice is not offered again);
        // but an invoice still being created keeps its key, so the next tap gets its link.
        if (error instanceof ApiError && error.status !== 0 && error.code !== BEING_CREATED) deposit.crypto = null;
        throw error;
      }
      const minutes = deposit.options.crypto_expiry_minutes;
      $("deposit-crypto-invoice-text").textContent = t("deposit.crypto_invoice", { amount: `${made.amount_text} ${made.amount.currency}`, minutes });
      $("deposit-crypto-pay").dataset.url = made.pay_url;
      $("deposit-crypto-invoice").hidden = false;
    }),
  );
}

export function setUpDeposit(webApp, onPaid) {
  deposit.webApp = webApp;
  deposit.onPaid = onPaid;
  $("deposit-stars-form").addEventListener("submit", (event) => {
    event.preventDefault();
    payStars();
  });
  $("deposit-crypto-form").addEventListener("submit", (event) => {
    event.preventDefault();
    createCryptoInvoice();
  });
  $("deposit-crypto-asset").addEventListener("change", () => {
    $("deposit-crypto-amount").value = "";
    showAsset();
  });
  $("deposit-crypto-pay").addEventListener("click", () => {
    const url = $("deposit-crypto-pay").dataset.url;
    if (url) openPayLink(url);
  });
  $("deposit-no-limit").addEventListener("click", () =>
    once($("deposit-no-limit"), "…", async () => {
      await request("POST", "/deposit/no-limit", {});
      await openDeposit();
    }),
  );
  $("deposit-limit-form").addEventListener("submit", (event) => {
    event.preventDefault();
    once($("deposit-limit-save"), t("app.saving"), async () => {
      const amount = Number($("deposit-limit-amount").value);
      if (!Number.isSafeInteger(amount) || amount < 1) {
        note(t("care.bad_amount"));
        return;
      }
      await request("PUT", `/limits/deposit/${$("deposit-limit-period").value}`, { amount, currency: CURRENCY });
      await openDeposit();
      note(t("care.in_force"));
    });
  });
}
