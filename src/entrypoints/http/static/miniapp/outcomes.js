// How each instant game shows itself: a hint under the form, the stage drawn before a bet,
// and the outcome (words and a picture). A game without an entry here still plays, with the
// plain outcome number: the lobby lists whatever the API offers.
import { t } from "./i18n.js";
import { choiceText, h, hundredths } from "./ui.js";
import { plinko } from "./plinko.js";

const ROLLS = 10001; // dice rolls 0.00 .. 100.00
const DICE_TARGETS = { under: [1.0, 98.0], over: [2.0, 99.0] }; // the server's accepted ranges
const RED = new Set([1, 3, 5, 7, 9, 12, 14, 16, 18, 19, 21, 23, 25, 27, 30, 32, 34, 36]);

// (1 - edge) / p cut to four decimals, as the server computes it (base.edge_multiplier).
function edgeMultiplier(edge, wins, outOf) {
  const micro = Math.round(Number(edge) * 1e6);
  if (!Number.isFinite(micro) || wins <= 0) return "";
  const scaled = Math.floor(((1e6 - micro) * outOf * 1e4) / (wins * 1e6));
  return `×${Number((scaled / 1e4).toFixed(4))}`;
}

const dice = {
  hint(values, offer) {
    const [low, high] = DICE_TARGETS[values.direction] || DICE_TARGETS.under;
    const target = Number(values.target);
    if (!Number.isFinite(target) || target < low || target > high) {
      return t("dice.pick", { low: low.toFixed(2), high: high.toFixed(2) });
    }
    const cents = Math.round(target * 100);
    const wins = values.direction === "over" ? ROLLS - 1 - cents : cents;
    const pays = offer.house_edge ? ` · ${t("dice.pays", { multiplier: edgeMultiplier(offer.house_edge, wins, ROLLS) })}` : "";
    return t("dice.chance", { chance: ((wins / ROLLS) * 100).toFixed(2) }) + pays;
  },
  prepare(stage, values) {
    const target = Math.min(100, Math.max(0, Number(values.target) || 0));
    const bar = h("div", { class: "dice-bar", dataset: { direction: values.direction || "under" } },
      h("div", { class: "dice-win" }), h("div", { class: "dice-roll", hidden: true }));
    bar.style.setProperty("--target", `${target}%`);
    stage.replaceChildren(bar);
  },
  outcome: (bet) => t("dice.rolled", { roll: hundredths(bet.outcome) }),
  async play(stage, bet) {
    const roll = stage.querySelector(".dice-roll");
    if (!roll) return;
    roll.style.setProperty("--at", `${Number(bet.outcome) / 100}%`);
    roll.textContent = hundredths(bet.outcome);
    roll.dataset.state = bet.state;
    roll.hidden = false;
  },
};

const coin = {
  hint: (values, offer) => (offer.house_edge ? t("coin.pays", { multiplier: edgeMultiplier(offer.house_edge, 1, 2) }) : ""),
  prepare(stage) {
    stage.replaceChildren(h("div", { class: "coin", text: "?" }));
  },
  outcome: (bet) => t(bet.outcome === 0 ? "coin.heads" : "coin.tails"),
  async play(stage, bet) {
    const face = stage.querySelector(".coin");
    if (!face) return;
    face.textContent = t(bet.outcome === 0 ? "coin.heads_short" : "coin.tails_short");
    face.dataset.state = bet.state;
  },
};

const limbo = {
  hint(values) {
    const target = Number(values.target);
    if (!Number.isFinite(target) || target < 1.01) return t("limbo.pick");
    return t("limbo.chance", { chance: (99 / target).toFixed(2), target: target.toFixed(2) });
  },
  prepare(stage) {
    stage.replaceChildren(h("p", { class: "big-number", text: "×—" }));
  },
  betText: (params) => t("limbo.bet", { target: params.target }),
  outcome: (bet) => t("limbo.result", { result: hundredths(bet.outcome) }),
  async play(stage, bet) {
    const number = stage.querySelector(".big-number");
    if (!number) return;
    number.textContent = `×${hundredths(bet.outcome)}`;
    number.dataset.state = bet.state;
  },
};

function pocketColour(pocket) {
  if (pocket === 0) return "green";
  return RED.has(pocket) ? "red" : "black";
}

const ROULETTE_PAYS = { straight: 36, dozen: 3, column: 3 };

const roulette = {
  hint(values) {
    const pays = ROULETTE_PAYS[values.bet] || 2;
    return t("roulette.pays", { pays });
  },
  prepare(stage) {
    stage.replaceChildren(h("div", { class: "pocket", text: "–" }));
  },
  outcome: (bet) => t(`roulette.${pocketColour(bet.outcome)}`, { number: bet.outcome }),
  async play(stage, bet) {
    const pocket = stage.querySelector(".pocket");
    if (!pocket) return;
    pocket.textContent = String(bet.outcome);
    pocket.dataset.colour = pocketColour(bet.outcome);
    pocket.dataset.state = bet.state;
  },
};

const plain = {
  hint: () => "",
  prepare(stage) {
    stage.replaceChildren();
  },
  outcome: (bet) => t("game.outcome", { outcome: bet.outcome }),
  async play() {},
};

const RENDERERS = { dice, coin, limbo, roulette, plinko };

// What a bet was on, in words: a game's own wording, or its parameters' values.
export function betText(code, params) {
  const renderer = rendererFor(code);
  if (renderer.betText) return renderer.betText(params || {});
  return Object.entries(params || {})
    .map(([name, value]) => choiceText(code, name, value))
    .join(" ");
}

export function rendererFor(code) {
  return RENDERERS[code] || plain;
}
