// The screen of an instant game (dice, coin, limbo, roulette, plinko, and any game the API
// offers with kind "instant"): its form is built from the game's parameters as the API
// describes them, the bet goes through POST /play, and the game's renderer shows the outcome.
import { newRequestId, request, ApiError } from "./api.js";
import { betText, rendererFor } from "./outcomes.js";
import { t, tOr } from "./i18n.js";
import { $, CURRENCY, amountText, capitalise, choiceText, gameTitle, h, multiplierText, once, setBalance, showMessage, moneyText, fitStakeField, stakeFromText, badStakeText } from "./ui.js";

const current = { offer: null, renderer: null, afterBet: () => {} };

function inputId(name) {
  return `param-${name}`;
}

// A parameter's label and its choices in the player's language (as the server words them when
// the page's table has no entry).
function paramLabel(param) {
  return tOr(`param.${current.offer.code}.${param.name}`, param.label);
}

function paramField(param) {
  const code = current.offer.code;
  if (param.type === "choice" && param.choices.length <= 4) {
    return h(
      "fieldset",
      { dataset: { param: param.name } },
      h("legend", { text: paramLabel(param) }),
      param.choices.map((choice) =>
        h(
          "label",
          { class: "choice" },
          h("input", { type: "radio", name: param.name, value: choice, checked: choice === param.default }),
          ` ${choiceText(code, param.name, choice)}`,
        ),
      ),
    );
  }
  if (param.type === "choice") {
    return h(
      "div",
      { dataset: { param: param.name } },
      h("label", { for: inputId(param.name), text: paramLabel(param) }),
      h(
        "select",
        { id: inputId(param.name), name: param.name },
        param.choices.map((choice) =>
          h("option", { value: choice, selected: choice === param.default, text: capitalise(choiceText(code, param.name, choice)) }),
        ),
      ),
    );
  }
  const places = Number(param.places) || 0;
  return h(
    "div",
    { dataset: { param: param.name } },
    h("label", { for: inputId(param.name), text: paramLabel(param) }),
    h("input", {
      id: inputId(param.name),
      name: param.name,
      type: "number",
      inputmode: places ? "decimal" : "numeric",
      min: param.min,
      max: param.max,
      step: places ? (10 ** -places).toFixed(places) : "1",
      value: param.default,
      required: true,
    }),
  );
}

function rawValue(param) {
  const form = $("play-form");
  if (param.type === "choice") {
    const checked = form.querySelector(`input[name="${param.name}"]:checked`);
    if (checked) return checked.value;
    const select = form.querySelector(`select[name="${param.name}"]`);
    return select ? select.value : param.default;
  }
  const input = form.querySelector(`input[name="${param.name}"]`);
  return input ? input.value.trim() : "";
}

// The values of the parameters shown now: a parameter with `when` counts only while it holds.
function values() {
  const raw = {};
  for (const param of current.offer.params) raw[param.name] = rawValue(param);
  const shown = {};
  for (const param of current.offer.params) {
    const applies = !param.when || Object.entries(param.when).every(([k, allowed]) => allowed.includes(raw[k]));
    if (applies) shown[param.name] = raw[param.name];
  }
  return shown;
}

function syncForm() {
  const shown = values();
  for (const param of current.offer.params) {
    const field = $("play-form").querySelector(`[data-param="${param.name}"]`);
    if (field) field.hidden = !(param.name in shown);
  }
  $("bet-hint").textContent = current.renderer.hint(shown, current.offer);
  if (!current.busy) current.renderer.prepare($("stage"), shown, current.offer);
}

function limits() {
  return (current.offer.limits || {})[CURRENCY] || null;
}

function readBet() {
  const stake = stakeFromText($("stake").value);
  // The limits are the server's to judge (its refusal names them); this only catches what
  // could not be a stake at all (in the chosen currency: whole Stars, or USDT to 6 places).
  if (stake === null) {
    throw new ApiError(0, badStakeText());
  }
  const params = {};
  const shown = values();
  for (const param of current.offer.params) {
    if (!(param.name in shown)) continue;
    let value = shown[param.name];
    if (param.type === "number") {
      const places = Number(param.places) || 0;
      const pattern = places ? new RegExp(`^\\d{1,9}(\\.\\d{1,${places}})?$`) : /^\d{1,9}$/;
      const number = Number(value);
      if (!pattern.test(value) || number < Number(param.min) || number > Number(param.max)) {
        const values = { label: paramLabel(param), min: param.min, max: param.max, places };
        throw new ApiError(0, t(places ? "game.bad_decimal" : "game.bad_whole", values));
      }
      value = number.toFixed(places);
    }
    params[param.name] = value;
  }
  return { stake, params };
}

function showOutcome(bet) {
  const won = bet.state === "won";
  // A payout no larger than the stake (plinko's middle slots) is money back, not a win.
  const back = won && bet.payout <= bet.stake.amount;
  const payout = moneyText(bet.payout, bet.stake.currency);
  const verdict = !won ? t("game.no_win") : back ? t("game.back", { payout }) : t("game.won", { payout });
  $("outcome").textContent = `${current.renderer.outcome(bet)} — ${verdict}`;
  const on = betText(bet.game, bet.params);
  const paid = won ? ` · ${t("game.paid", { multiplier: multiplierText(bet.multiplier) })}` : "";
  const stake = moneyText(bet.stake.amount, bet.stake.currency);
  $("outcome-detail").textContent =
    `${t("game.bet_on", { stake, on })}${paid} · ` + t("game.bet_proof", { nonce: bet.nonce, hash: bet.server_seed_hash });
  const result = $("result");
  result.dataset.state = bet.state;
  result.dataset.outcome = String(bet.outcome);
  result.hidden = false;
}

async function play(event) {
  event.preventDefault();
  const button = $("roll");
  await once(button, t("game.playing"), async () => {
    const bet = readBet();
    current.busy = true;
    delete $("result").dataset.state; // the last bet's outcome is not this one's
    try {
      const played = await request("POST", "/play", {
        game: current.offer.code,
        stake: bet.stake,
        currency: CURRENCY,
        request_id: newRequestId(), // fresh per press; a retry of this request would reuse it
        params: bet.params,
      });
      $("result").hidden = true;
      await current.renderer.play($("stage"), played.bet);
      showOutcome(played.bet);
      setBalance(played.balance.amount, played.balance.currency);
    } finally {
      current.busy = false;
    }
    await current.afterBet();
  });
}

export function setUpInstant(afterBet) {
  current.afterBet = afterBet;
  const form = $("play-form");
  form.addEventListener("submit", play);
  form.addEventListener("input", syncForm);
  form.addEventListener("change", syncForm);
}

export function openInstant(offer) {
  current.offer = offer;
  current.renderer = rendererFor(offer.code);
  $("game").dataset.game = offer.code;
  $("game-title").textContent = gameTitle(offer);
  const bounds = limits();
  $("game-limits").textContent = bounds
    ? t("game.limits", { min: amountText(bounds.min_stake, CURRENCY), max: moneyText(bounds.max_stake, CURRENCY), most: moneyText(bounds.max_payout, CURRENCY) })
    : "";
  fitStakeField($("stake"), bounds);
  $("params").replaceChildren(...offer.params.map(paramField));
  $("result").hidden = true;
  delete $("result").dataset.state;
  showMessage("");
  syncForm();
}
