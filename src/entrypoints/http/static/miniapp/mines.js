// Mines: a 5×5 field, a game played in steps. The stake is taken when the game opens; each
// safe tile raises the multiplier; the player cashes out after any safe tile or loses the
// stake on a mine. Before the first tile the player may take the stake back instead (the game
// ends voided): the way out when a time-out, self-exclusion or block stops play after the
// stake was taken, and a plain change of mind otherwise. Routes (the Mini App API's contract):
//   POST /mines {stake, currency, mines, request_id}, GET /mines?currency= (404: none open),
//   POST /mines/{id}/reveal {tile, request_id}, POST /mines/{id}/cashout {request_id},
//   POST /mines/{id}/void {request_id}.
import { ApiError, newRequestId, request } from "./api.js";
import { t } from "./i18n.js";
import { $, CURRENCY, amountText, fitStakeField, gameTitle, h, multiplierText, once, setBalance, showMessage, moneyText, stakeFromText, badStakeText } from "./ui.js";

const TILES = 25;

// The player's standing refused a new tile (blocked, terms, a timeout or self-exclusion): the
// stake is already taken, so the game stays open and cashing out is always allowed; only
// revealing more is refused (docs/responsible-gambling.md, "What each standing allows").
const STANDING_CODES = new Set(["player_blocked", "terms_not_accepted", "responsible_gambling"]);

const mines = { offer: null, view: null, refused: null, afterMove: () => {} };

// stake × multiplier rounded down, exactly: the multiplier is a decimal ("1.2375") or a
// fraction ("99/80"); binary floats would misround 100 × 1.15.
export function payoutFor(stake, multiplier) {
  const text = String(multiplier || "");
  let num;
  let den;
  if (/^\d+\/\d+$/.test(text)) {
    [num, den] = text.split("/").map((part) => BigInt(part));
  } else if (/^\d+(\.\d+)?$/.test(text)) {
    const [whole, fraction = ""] = text.split(".");
    num = BigInt(whole + fraction);
    den = 10n ** BigInt(fraction.length);
  } else {
    return null;
  }
  if (den === 0n) return null;
  return Number((BigInt(stake) * num) / den);
}

function board() {
  return $("mines-board");
}

function buildBoard() {
  const tiles = [];
  for (let tile = 0; tile < TILES; tile += 1) {
    tiles.push(
      h("button", {
        type: "button",
        class: "tile",
        "aria-label": t("mines.tile", { tile: tile + 1 }),
        dataset: { tile: String(tile), state: "hidden" },
        disabled: true,
        onclick: () => reveal(tile),
      }),
    );
  }
  board().replaceChildren(...tiles);
}

function render(view) {
  if (!view || !mines.view || view.id !== mines.view.id || view.state !== "open") mines.refused = null;
  mines.view = view;
  const open = view && view.state === "open";
  const refused = Boolean(open && mines.refused);
  // Open with no next multiplier: one more safe tile would pay over the game's payout limit,
  // so the server refuses every new tile and cashing out is the only move.
  const atLimit = Boolean(open && !view.next_multiplier);
  const revealed = new Set(view ? view.revealed : []);
  const mined = new Set((view && view.mine_positions) || []);
  const last = view && view.revealed.length ? view.revealed[view.revealed.length - 1] : null;
  for (const button of board().querySelectorAll(".tile")) {
    const tile = Number(button.dataset.tile);
    let state = "hidden";
    if (mined.has(tile)) state = view.state === "busted" && revealed.has(tile) ? "hit" : "mine";
    else if (revealed.has(tile)) state = "safe";
    button.dataset.state = state;
    button.disabled = !open || atLimit || refused || revealed.has(tile);
    const shown = state === "hidden" ? "" : `: ${t(state === "safe" ? "mines.safe_tile" : "mines.mine_tile")}`;
    button.setAttribute("aria-label", t("mines.tile", { tile: tile + 1 }) + shown);
  }
  board().dataset.state = view ? view.state : "none";
  board().dataset.limit = atLimit ? "reached" : refused ? "refused" : "";
  $("mines-refused").hidden = !refused;
  if (refused) $("mines-refused").textContent = refusedLine(view, mines.refused);
  if (view && view.state === "busted" && last !== null && !mined.has(last)) {
    // the contract lists the fatal tile among `revealed`; mark it even if mine_positions lags
    const button = board().querySelector(`[data-tile="${last}"]`);
    if (button) button.dataset.state = "hit";
  }
  $("mines-setup").hidden = open;
  $("mines-play").hidden = !view;
  const voidable = Boolean(open && view.revealed.length === 0);
  // Refused before any tile, "Reveal a tile to cash out" would point at a move the player
  // cannot make: the stake back is the one move left.
  $("mines-cashout").hidden = !open || (refused && voidable);
  $("mines-void").hidden = !voidable;
  if (voidable) $("mines-void").textContent = t("mines.void_amount", { stake: moneyText(view.stake.amount, view.stake.currency) });
  if (!view) {
    $("mines-info").textContent = t("mines.pick");
    return;
  }
  const stake = view.stake.amount;
  const now = payoutFor(stake, view.multiplier);
  const next =
    view.next_multiplier && !refused ? ` · ${t("mines.next", { multiplier: multiplierText(view.next_multiplier) })}` : "";
  if (open) {
    const summary = t("mines.summary", { mines: view.mines, safe: view.revealed.length, multiplier: multiplierText(view.multiplier) });
    const most = view.max_payout ? ` ${t("mines.most", { limit: moneyText(view.max_payout.amount, view.max_payout.currency) })}` : "";
    $("mines-info").textContent = atLimit ? `${summary} · ${t("mines.at_limit", { most })}` : `${summary}${next}`;
    const cashout = $("mines-cashout");
    cashout.disabled = view.revealed.length === 0;
    cashout.textContent =
      view.revealed.length === 0 ? t("mines.reveal_first") : t("mines.cash_out_amount", { amount: moneyText(now, view.stake.currency) });
  } else if (view.state === "voided") {
    $("mines-info").textContent = t("mines.returned", { payout: moneyText(view.payout, view.stake.currency) });
  } else if (view.state === "cashed_out") {
    $("mines-info").textContent = t("mines.cashed_out", {
      multiplier: multiplierText(view.multiplier),
      payout: moneyText(view.payout, view.stake.currency),
    });
  } else {
    $("mines-info").textContent = t("mines.busted", { stake: moneyText(stake, view.stake.currency) });
  }
  if (view.balance) setBalance(view.balance.amount, view.balance.currency);
}

function refusedLine(view, reason) {
  // The server's own reason, then what the player can still do with this game.
  if (!view.revealed.length) {
    return `${reason} ${t("mines.refused_void", { stake: moneyText(view.stake.amount, view.stake.currency) })}`;
  }
  const collect = `${moneyText(payoutFor(view.stake.amount, view.multiplier), view.stake.currency)}`;
  return `${reason} ${t("mines.refused_cash_out", { amount: collect })}`;
}

async function start(event) {
  event.preventDefault();
  await move($("mines-start"), t("mines.starting"), async () => {
    const stake = stakeFromText($("mines-stake").value);
    if (stake === null) {
      throw new ApiError(0, badStakeText());
    }
    const count = Number($("mines-count").value);
    if (!Number.isInteger(count) || count < 1 || count > 24) {
      throw new ApiError(0, t("mines.bad_count"));
    }
    return request("POST", "/mines", { stake, currency: CURRENCY, mines: count, request_id: newRequestId() });
  });
}

// One move: the button (or the board) is busy only until the game's answer is drawn. The
// fairness line and the reality check refresh afterwards, outside `once`: while they loaded,
// a quick tap on the next tile was dropped as "busy" and the tile stayed hidden.
async function move(button, busyLabel, call) {
  let moved = false;
  await once(button, busyLabel, async () => {
    render(await call());
    moved = true;
  });
  if (moved) mines.afterMove().catch(() => {});
}

async function reveal(tile) {
  const view = mines.view;
  if (!view || view.state !== "open" || !view.next_multiplier) return; // over: or at the limit
  // The board, not the tile, is busy: render() decides which tiles stay pressable.
  board().setAttribute("aria-busy", "true");
  await move(null, null, async () => {
    try {
      return await request("POST", `/mines/${encodeURIComponent(view.id)}/reveal`, {
        tile,
        request_id: newRequestId(),
      });
    } catch (error) {
      if (!(error instanceof ApiError && STANDING_CODES.has(error.code))) throw error;
      mines.refused = error.message; // shown on the board, beside the cash-out button
      return view;
    }
  });
  board().removeAttribute("aria-busy");
}

async function cashOut() {
  const view = mines.view;
  if (!view || view.state !== "open") return;
  await move($("mines-cashout"), t("app.cashing_out"), () =>
    request("POST", `/mines/${encodeURIComponent(view.id)}/cashout`, { request_id: newRequestId() }),
  );
}

async function takeStakeBack() {
  const view = mines.view;
  if (!view || view.state !== "open" || view.revealed.length) return;
  await move($("mines-void"), t("mines.returning"), () =>
    request("POST", `/mines/${encodeURIComponent(view.id)}/void`, { request_id: newRequestId() }),
  );
}

export function setUpMines(afterMove) {
  mines.afterMove = afterMove;
  buildBoard();
  $("mines-setup").addEventListener("submit", start);
  $("mines-cashout").addEventListener("click", cashOut);
  $("mines-void").addEventListener("click", takeStakeBack);
}

export async function openMines(offer) {
  mines.offer = offer;
  $("mines-title").textContent = gameTitle(offer) || "Mines";
  const bounds = (offer.limits || {})[CURRENCY];
  $("mines-limits").textContent = bounds
    ? t("mines.limits", { min: amountText(bounds.min_stake, CURRENCY), max: moneyText(bounds.max_stake, CURRENCY), most: moneyText(bounds.max_payout, CURRENCY) })
    : "";
  fitStakeField($("mines-stake"), bounds);
  const param = (offer.params || []).find((p) => p.name === "mines");
  if (param) {
    const count = $("mines-count");
    count.min = param.min;
    count.max = param.max;
    if (!mines.view) count.value = param.default;
  }
  showMessage("");
  try {
    render(await request("GET", `/mines?currency=${CURRENCY}`));
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) render(null);
    else throw error;
  }
}
