// Crash: shared rounds (docs/miniapp.md, "Crash: the contract for the screen"). A round takes
// bets with a countdown, then its multiplier climbs from 1.00× (drawn here from `started_at`
// and the public curve) until the crash; a bet is cashed out by hand or at its automatic
// target. The round's changes come over the live socket (`subscribe` to "crash"); without
// it the screen asks GET /crash now and then.
//   GET /crash, POST /crash/bets {stake, currency, request_id, auto_cash_out?},
//   POST /crash/cashout {bet_id}.
import { ApiError, newRequestId, request } from "./api.js";
import { subscribeCrash } from "./live.js";
import { payoutFor } from "./mines.js";
import { language, t } from "./i18n.js";
import { $, CURRENCY, amountText, fitStakeField, gameTitle, liveBalanceCount, once, setBalance, showBalances, showError, moneyText, stakeFromText, badStakeText } from "./ui.js";

const TICK_MS = 100; // how often the countdown and the multiplier are redrawn
const POLL_MS = 2_000; // GET /crash this often while the live socket is not on
const PHASES = ["betting", "running", "crashed"];
const TARGET = /^\d{1,4}(\.\d{1,2})?$/;

const crash = {
  offer: null,
  round: null,
  lastCrashed: null, // the newest crashed round: its point and check stay on the screen
  bet: null, // the player's bet on `round`: {id, stake, currency, target, cashedAt}
  result: "", // the last round's result line, kept while the next round takes bets
  resultState: "",
  resultRound: null, // the round id it is about
  timer: null,
  polledAt: 0,
  offset: 0, // the server's clock minus the phone's (ms), from each round's `server_time`
  afterBet: () => {},
};

// floor(100 · e^(growth · ms)) / 100, in hundredths, capped: the same curve as the server's.
function hundredthsAt(round, now) {
  const ms = Math.max(0, now - Date.parse(round.started_at));
  const cap = Math.round(Number(round.max_multiplier) * 100);
  return Math.min(cap, Math.floor(100 * Math.exp(round.growth_per_ms * ms)));
}

// Now on the server's clock: the phone's clock may be seconds off, the server's decides.
function serverNow() {
  return Date.now() + crash.offset;
}

function hundredthsText(value) {
  return (value / 100).toFixed(2);
}

function toHundredths(text) {
  return Math.round(Number(text) * 100);
}

function verifyLine(round) {
  return `croupier verify --game crash --round ${round.number} --round-hash ${round.round_hash} --salt ${round.salt} --chain-end ${round.chain_end}`;
}

function draw() {
  const round = crash.round;
  const stage = $("crash-stage");
  const phase = round ? round.phase : "none";
  stage.dataset.phase = phase;
  const now = serverNow();
  let multiplier = "…";
  let line = t("crash.no_round");
  let current = 100;
  if (round && phase === "betting") {
    const left = Math.max(0, Math.ceil((Date.parse(round.betting_ends_at) - now) / 1000));
    multiplier = "1.00×";
    line = left > 0 ? t("crash.closing", { seconds: left }) : t("crash.starting");
  } else if (round && phase === "running") {
    current = hundredthsAt(round, now);
    multiplier = `${hundredthsText(current)}×`;
    line = t("crash.running");
  } else if (round && phase === "crashed") {
    multiplier = `${round.crash_point}×`;
    line = t("crash.crashed_at", { point: round.crash_point });
  }
  const last = crash.lastCrashed;
  // The next round opens as soon as one crashes: the crash stays in view while it takes bets.
  const lastWords = last && phase !== "crashed" ? ` · ${t("crash.last_crashed", { point: last.crash_point })}` : "";
  $("crash-round").textContent = round ? t("crash.round", { round: round.number }) + lastWords : "";
  $("crash-multiplier").textContent = multiplier;
  $("crash-phase").textContent = line;
  $("crash-verify").hidden = !(last && last.round_hash);
  if (last && last.round_hash) {
    $("crash-verify-text").textContent = t("crash.verify", { round: last.number });
    $("crash-verify-line").textContent = verifyLine(last);
  }
  drawBet(phase, current);
}

function drawBet(phase, current) {
  const bet = crash.bet;
  const mine = $("crash-mine");
  const cashout = $("crash-cashout");
  const betting = phase === "betting";
  const placeButton = $("crash-bet");
  $("crash-form").hidden = Boolean(bet) && !betting;
  placeButton.disabled = !betting || Boolean(bet) || placeButton.getAttribute("aria-busy") === "true";
  if (!placeButton.hasAttribute("aria-busy")) {
    placeButton.textContent = t(bet ? "crash.have_bet" : betting ? "crash.bet" : "crash.next_round");
  }
  const open = bet && !bet.cashedAt && phase === "running";
  const reached = open && bet.target !== null && current >= bet.target;
  cashout.hidden = !open || reached;
  if (!bet) {
    const earlier = crash.result && crash.round && crash.resultRound !== crash.round.round_id;
    const words = crash.result.charAt(0).toLocaleLowerCase(language()) + crash.result.slice(1);
    mine.textContent = earlier ? t("crash.last_round", { words }) : crash.result;
    mine.dataset.state = crash.resultState;
    return;
  }
  const how = bet.target === null ? t("crash.how_by_hand") : t("crash.how_auto", { target: hundredthsText(bet.target) });
  mine.dataset.state = bet.cashedAt ? "won" : "";
  if (bet.cashedAt) {
    const paid = payoutFor(bet.stake, hundredthsText(bet.cashedAt));
    mine.textContent = t("crash.cashed_won", { at: hundredthsText(bet.cashedAt), payout: moneyText(paid, bet.currency) });
  } else if (reached) {
    const paid = payoutFor(bet.stake, hundredthsText(bet.target));
    mine.textContent = t("crash.target_reached", { target: hundredthsText(bet.target), payout: moneyText(paid, bet.currency) });
  } else {
    mine.textContent = t("crash.your_bet", { stake: moneyText(bet.stake, bet.currency), how });
  }
  if (open && !reached && !cashout.hasAttribute("aria-busy")) {
    cashout.textContent = t("crash.cash_out_amount", { amount: moneyText(payoutFor(bet.stake, hundredthsText(current)), bet.currency) });
  }
  cashout.disabled = Boolean(reached) || cashout.hasAttribute("aria-busy");
}

// A round's state, from an answer or the live socket; an older round's never wins.
function applyRound(round) {
  if (!round || typeof round.round_id !== "number") return;
  const known = crash.round;
  if (known && round.round_id < known.round_id) return;
  const newer = !known || round.round_id > known.round_id;
  // A bet's answer can arrive after the socket said the round started: a phase never goes back.
  if (!newer && PHASES.indexOf(round.phase) < PHASES.indexOf(known.phase)) return;
  if (newer && crash.bet && known) {
    // The round the bet was on is over, and its crash message was missed: ask for the truth.
    settleBet(known).catch(() => {});
  }
  crash.round = round;
  const told = Date.parse(round.server_time);
  if (!Number.isNaN(told)) crash.offset = told - Date.now(); // less the answer's way here
  if (round.phase === "crashed" && round.round_hash) crash.lastCrashed = round;
  if (newer) crash.bet = null;
  if (round.phase === "crashed" && crash.bet) settleBet(round).catch(() => {});
  draw();
}

// The result of the player's bet once its round crashed: told at once from what the screen
// knows, then from the bet itself (GET /bets: its state and payout, which also cover a refund
// after an interrupted round) and the balance.
async function settleBet(round) {
  const bet = crash.bet && crash.bet.roundId === round.round_id ? crash.bet : null;
  if (!bet) return;
  const point = round.crash_point ? toHundredths(round.crash_point) : null;
  const at = bet.cashedAt || (bet.target !== null && point !== null && bet.target <= point ? bet.target : null);
  if (at) told(bet, "won", at);
  else if (point !== null) told(bet, "lost", point);
  else told(bet, "", null, t("crash.reading", { round: round.number }));
  crash.bet = null;
  draw();
  const before = liveBalanceCount();
  const [found, balances] = await Promise.all([request("GET", "/bets?size=10"), request("GET", "/balances")]);
  if (liveBalanceCount() === before) showBalances(balances.balances);
  const settled = (found.bets || []).find((b) => b.id === bet.id);
  if (settled && settled.state === "voided") {
    told(bet, "", null, t("crash.refunded", { round: round.number, stake: moneyText(bet.stake, bet.currency) }));
  } else if (settled && settled.state === "won" && /^\d+(\.\d+)?$/.test(settled.multiplier || "")) {
    told(bet, "won", toHundredths(settled.multiplier));
  } else if (settled && settled.state === "lost" && point === null) {
    told(bet, "lost", null);
  }
  draw();
  crash.afterBet().catch(() => {});
}

// The result line of a bet whose round is over: won at a multiplier, lost at the crash point.
function told(bet, state, at, words = "") {
  crash.resultState = state;
  crash.resultRound = bet.roundId;
  if (words) crash.result = words;
  else if (state === "won") {
    crash.result = t("crash.cashed_won", { at: hundredthsText(at), payout: moneyText(payoutFor(bet.stake, hundredthsText(at)), bet.currency) });
  } else {
    const where = at === null ? t("crash.the_round_crashed") : t("crash.crashed_at", { point: hundredthsText(at) });
    crash.result = t("crash.lost", { where, stake: moneyText(bet.stake, bet.currency) });
  }
}

function onLive(message) {
  if (message.type === "crash.cashed_out" && message.mine && crash.bet && message.bet_id === crash.bet.id) {
    crash.bet.cashedAt = toHundredths(message.multiplier);
  }
  applyRound(message.round);
}

async function place(event) {
  event.preventDefault();
  await once($("crash-bet"), t("crash.betting"), async () => {
    const stake = stakeFromText($("crash-stake").value);
    if (stake === null) {
      throw new ApiError(0, badStakeText());
    }
    const target = $("crash-target").value.trim().replace(",", ".");
    if (target && !TARGET.test(target)) {
      throw new ApiError(0, t("crash.bad_target"));
    }
    // The range the game offers, said here in the player's language before the server would.
    const param = ((crash.offer && crash.offer.params) || []).find((p) => p.name === "target");
    if (target && param && (Number(target) < Number(param.min) || Number(target) > Number(param.max))) {
      throw new ApiError(0, t("crash.target_range", { min: param.min, max: param.max }));
    }
    const body = { stake, currency: CURRENCY, request_id: newRequestId() };
    if (target) body.auto_cash_out = target;
    const placed = await request("POST", "/crash/bets", body);
    applyRound(placed.round);
    crash.bet = {
      id: placed.bet.id,
      roundId: placed.round.round_id,
      stake: placed.bet.stake.amount,
      currency: placed.bet.stake.currency,
      target: placed.bet.params.target ? toHundredths(placed.bet.params.target) : null,
      cashedAt: null,
    };
    crash.result = "";
    setBalance(placed.balance.amount, placed.balance.currency);
  });
  draw();
  crash.afterBet().catch(() => {});
}

async function cashOut() {
  const bet = crash.bet;
  if (!bet || bet.cashedAt) return;
  await once($("crash-cashout"), t("app.cashing_out"), async () => {
    const done = await request("POST", "/crash/cashout", { bet_id: bet.id });
    bet.cashedAt = toHundredths(done.cashed_out_at);
    setBalance(done.balance.amount, done.balance.currency);
    applyRound(done.round);
  });
  draw();
}

async function poll() {
  crash.polledAt = Date.now();
  const view = await request("GET", "/crash");
  applyRound(view.round);
}

function tick() {
  if ($("crash").hidden) {
    clearInterval(crash.timer);
    crash.timer = null;
    return;
  }
  draw();
  if ($("live").dataset.state !== "online" && Date.now() - crash.polledAt > POLL_MS) {
    poll().catch(() => {});
  }
}

// The player's bet on the round now, after the screen was left or the page reloaded: its stake
// is read from the bet itself.
async function resume(view) {
  const seat = (view.my_bets || []).find((s) => s.currency === CURRENCY);
  if (!seat) return;
  const found = await request("GET", "/bets?size=10");
  const bet = (found.bets || []).find((b) => b.id === seat.bet_id);
  if (!bet) return;
  crash.bet = {
    id: seat.bet_id,
    roundId: view.round.round_id,
    stake: bet.stake.amount,
    currency: seat.currency,
    target: seat.auto_cash_out ? toHundredths(seat.auto_cash_out) : null,
    cashedAt: seat.cashed_out_at ? toHundredths(seat.cashed_out_at) : null,
  };
}

export function setUpCrash(afterBet) {
  crash.afterBet = afterBet;
  $("crash-form").addEventListener("submit", place);
  $("crash-cashout").addEventListener("click", cashOut);
}

export async function openCrash(offer) {
  crash.offer = offer;
  $("crash-title").textContent = gameTitle(offer) || "Crash";
  const bounds = (offer.limits || {})[CURRENCY];
  $("crash-limits").textContent = bounds
    ? `${t("game.limits", { min: amountText(bounds.min_stake, CURRENCY), max: moneyText(bounds.max_stake, CURRENCY), most: moneyText(bounds.max_payout, CURRENCY) })} ${t("crash.one_bet")}`
    : "";
  fitStakeField($("crash-stake"), bounds);
  const param = (offer.params || []).find((p) => p.name === "target");
  if (param) {
    $("crash-target-hint").textContent = t("crash.target_range", { min: param.min, max: param.max });
  }
  subscribeCrash(onLive);
  crash.round = null;
  crash.bet = null;
  try {
    crash.polledAt = Date.now();
    const view = await request("GET", "/crash");
    applyRound(view.round);
    await resume(view);
  } catch (error) {
    // 404: no round yet; the driver opens one and the live socket (or the poll) tells
    if (!(error instanceof ApiError && error.status === 404)) showError(error);
  }
  draw();
  if (!crash.timer) crash.timer = setInterval(tick, TICK_MS);
}
