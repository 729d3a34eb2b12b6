// Live updates over the WebSocket: balances as the ledger moves, bets as they settle. It
// reconnects with backoff, and with a fresh session when the server closes at token expiry.
import { API, dropToken, ensureSession, parseJson, playerId, token } from "./api.js";
import { t } from "./i18n.js";
import { $, noteLiveBalance, setBalance, showError } from "./ui.js";

const LIVE_PROTOCOL = "croupier.v1";
const POLICY_VIOLATION = 1008; // the live socket's "token missing, invalid or expired"

const live = {
  socket: null,
  retries: 0,
  reconnectTimer: null,
  ledgerSequence: -1, // the newest ledger event applied: an older one never wins
  catchUp: () => {},
  onBet: () => {},
  onCrash: null, // the crash screen's handler, once it asked for the rounds' changes
};

function setLive(online, text) {
  const line = $("live");
  line.dataset.state = online ? "online" : "offline";
  line.textContent = text;
}

export function liveOff() {
  setLive(false, t("live.off"));
}

// catchUp: fetch whatever changed while the socket was away; onBet: a bet of this player
// was placed, settled or voided.
export function connectLive(catchUp, onBet) {
  live.catchUp = catchUp;
  live.onBet = onBet;
  connect();
}

function connect() {
  if (!("WebSocket" in window) || !token()) return;
  clearTimeout(live.reconnectTimer);
  const old = live.socket;
  live.socket = null;
  if (old) old.close(1000);
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  // The token rides in the subprotocol list: browsers cannot set headers on a WebSocket,
  // and this keeps it out of URLs and access logs.
  const socket = new WebSocket(`${scheme}//${window.location.host}${API}/live`, [
    LIVE_PROTOCOL,
    `bearer.${token()}`,
  ]);
  live.socket = socket;
  socket.addEventListener("message", (event) => {
    if (live.socket === socket) onLive(event.data);
  });
  socket.addEventListener("close", (event) => {
    if (live.socket !== socket) return; // replaced on purpose
    live.socket = null;
    setLive(false, t("live.reconnecting"));
    scheduleReconnect(event.code);
  });
}

// The crash rounds' changes ({"type": "crash.*"}) on this socket, from now on: the server sends
// them only to a socket that asked. Asked again on every new socket (see "hello").
export function subscribeCrash(onCrash) {
  live.onCrash = onCrash;
  askForCrash(live.socket);
}

function askForCrash(socket) {
  if (live.onCrash && socket && socket.readyState === WebSocket.OPEN) {
    socket.send(JSON.stringify({ type: "subscribe", to: "crash" }));
  }
}

function scheduleReconnect(code) {
  const delay = Math.min(30_000, 1000 * 2 ** Math.min(live.retries, 5)) * (0.75 + Math.random() / 2);
  live.retries += 1;
  live.reconnectTimer = setTimeout(async () => {
    try {
      if (code === POLICY_VIOLATION) dropToken(); // expired: take a fresh one
      await ensureSession();
      connect();
    } catch (error) {
      liveOff();
      showError(error);
    }
  }, delay);
}

function onLive(raw) {
  const message = parseJson(raw);
  if (!message || typeof message.type !== "string") return;
  const data = message.data && typeof message.data === "object" ? message.data : {};
  switch (message.type) {
    case "hello":
      live.retries = 0;
      setLive(message.live !== false, t(message.live === false ? "live.waiting" : "live.on"));
      live.catchUp(); // whatever happened while the socket was away is fetched once
      askForCrash(live.socket);
      break;
    case "resync":
      setLive(true, t("live.on"));
      live.catchUp();
      break;
    case "ledger.transaction_posted":
      applyLedger(message, data);
      break;
    case "bet.played": // placed and settled at once: its balances and its bet in one event
      applyLedger(message, data);
      live.onBet(message.type, data);
      break;
    case "bet.placed":
    case "bet.settled":
    case "bet.voided":
      live.onBet(message.type, data);
      break;
    default:
      if (message.type.startsWith("crash.") && live.onCrash) live.onCrash(message);
      break;
  }
}

function applyLedger(message, data) {
  if (data.player_id !== playerId() || !Array.isArray(data.balances)) return;
  // Events of one player are numbered in order; a late duplicate must not undo a newer one.
  const sequence = Number(message.sequence);
  if (Number.isSafeInteger(sequence)) {
    if (sequence <= live.ledgerSequence) return;
    live.ledgerSequence = sequence;
  }
  noteLiveBalance();
  for (const change of data.balances) {
    if (change && change.account_kind === "player_wallet") setBalance(change.balance, change.currency);
  }
}
