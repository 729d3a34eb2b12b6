// The Croupier Mini App: balance, the 18+ gate and provably fair dice, with live updates.
// Plain browser JavaScript, no build step. Server data is only ever put on the page with
// textContent or attributes, never parsed as HTML.
"use strict";

(() => {
  const API = "/api/v1/app";
  const CURRENCY = "XTR";
  const ROLLS = 10001; // dice rolls 0.00 .. 100.00
  const TARGETS = { under: [1.0, 98.0], over: [2.0, 99.0] }; // the server's accepted ranges
  const LIVE_PROTOCOL = "croupier.v1";
  const POLICY_VIOLATION = 1008; // the live socket's "token missing, invalid or expired"

  const $ = (id) => document.getElementById(id);
  const el = {
    greeting: $("greeting"),
    balance: $("balance"),
    live: $("live"),
    status: $("status"),
    message: $("message"),
    gate: $("gate"),
    accept: $("accept-terms"),
    game: $("game"),
    form: $("dice-form"),
    stake: $("stake"),
    target: $("target"),
    chance: $("chance"),
    roll: $("roll"),
    result: $("result"),
    outcome: $("outcome"),
    outcomeDetail: $("outcome-detail"),
    fairness: $("fairness"),
    seedHash: $("seed-hash"),
    clientSeed: $("client-seed"),
    nextNonce: $("next-nonce"),
    rotate: $("rotate"),
    revealed: $("revealed"),
    revealedSeed: $("revealed-seed"),
  };

  const state = {
    initData: "",
    token: null,
    expiresAt: 0,
    playerId: null,
    opening: null, // the session request in flight, shared by everyone who needs a token
    busy: false,
    socket: null,
    retries: 0,
    reconnectTimer: null,
    ledgerSequence: -1, // the newest ledger event applied: an older one never wins
    liveApplied: 0, // how many live balance changes were applied (a fetch in flight is older)
  };

  class ApiError extends Error {
    constructor(status, detail) {
      super(detail);
      this.status = status;
    }
  }

  // -- Telegram's launch parameters --------------------------------------------------------

  function launchParams() {
    const fragment = new URLSearchParams(window.location.hash.slice(1));
    const webApp = window.Telegram && window.Telegram.WebApp;
    return {
      initData: (webApp && webApp.initData) || fragment.get("tgWebAppData") || "",
      // Telegram's own script applies the theme itself when it is on the page.
      theme: webApp ? null : parseJson(fragment.get("tgWebAppThemeParams")),
      webApp,
    };
  }

  function parseJson(text) {
    if (!text) return null;
    try {
      return JSON.parse(text);
    } catch {
      return null;
    }
  }

  function applyTheme(theme) {
    // What Telegram's own script does: --tg-theme-bg-color from bg_color, and so on.
    if (!theme || typeof theme !== "object") return;
    for (const [key, value] of Object.entries(theme)) {
      if (/^[a-z_]{1,40}$/.test(key) && typeof value === "string" && /^#[0-9a-f]{3,8}$/i.test(value)) {
        document.documentElement.style.setProperty(`--tg-theme-${key.replace(/_/g, "-")}`, value);
      }
    }
  }

  function firstName(initData) {
    const user = parseJson(new URLSearchParams(initData).get("user"));
    return user && typeof user.first_name === "string" ? user.first_name.slice(0, 64) : "";
  }

  // -- talking to the API ------------------------------------------------------------------

  async function request(method, path, body, { retried = false } = {}) {
    if (path !== "/session") await ensureSession();
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (state.token && path !== "/session") headers.Authorization = `Bearer ${state.token}`;
    let response;
    try {
      response = await fetch(API + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
      });
    } catch {
      throw new ApiError(0, "The casino cannot be reached. Check your connection and try again.");
    }
    if (response.status === 401 && path !== "/session" && !retried) {
      // The session token expired: open a new one from the launch data, then try once more.
      state.token = null;
      return request(method, path, body, { retried: true });
    }
    const text = await response.text();
    const data = parseJson(text);
    if (!response.ok) throw new ApiError(response.status, problemText(response, data));
    return data;
  }

  function problemText(response, problem) {
    // Problem details (RFC 9457): `detail` says what went wrong in words a player can use.
    if (problem && typeof problem.detail === "string" && problem.detail.trim()) {
      let text = problem.detail.trim();
      text = text.charAt(0).toUpperCase() + text.slice(1);
      if (!/[.!?]$/.test(text)) text += ".";
      const wait = response.headers.get("Retry-After");
      if (response.status === 429 && wait && /^\d+$/.test(wait)) {
        text += ` Please try again in ${wait} s.`;
      }
      return text;
    }
    if (response.status >= 500) return "Something went wrong on our side. Please try again shortly.";
    return `The request was refused (HTTP ${response.status}).`;
  }

  async function ensureSession() {
    if (state.token && Date.now() < state.expiresAt - 30_000) return;
    if (!state.opening) {
      state.opening = openSession().finally(() => {
        state.opening = null;
      });
    }
    await state.opening;
  }

  async function openSession() {
    let session;
    try {
      session = await request("POST", "/session", { init_data: state.initData });
    } catch (error) {
      if (error.status === 401) {
        throw new ApiError(
          401,
          "Your Telegram sign-in could not be confirmed or has expired. Close the app and open it again from the bot.",
        );
      }
      throw error;
    }
    // A live socket opened with the old token carries on until the server closes it (1008)
    // at that token's expiry; it then reconnects with this one.
    state.token = session.token;
    state.expiresAt = Date.parse(session.expires_at) || Date.now() + 10 * 60_000;
    state.playerId = session.player_id;
    return session;
  }

  // -- rendering ---------------------------------------------------------------------------

  function showMessage(text) {
    el.message.textContent = text;
    el.message.hidden = !text;
  }

  function showStatus(text) {
    el.status.textContent = text;
    el.status.hidden = !text;
  }

  function showError(error) {
    showMessage(error instanceof ApiError ? error.message : "Something went wrong. Please try again.");
    if (!(error instanceof ApiError)) console.error(error);
  }

  function setBalance(amount, currency) {
    if (currency !== CURRENCY || !Number.isSafeInteger(amount)) return;
    el.balance.textContent = String(amount);
    el.balance.dataset.amount = String(amount);
  }

  function showBalances(balances) {
    const mine = (balances || []).find((b) => b && b.currency === CURRENCY);
    setBalance(mine ? mine.amount : 0, CURRENCY);
  }

  function showGate(accepted) {
    el.gate.hidden = accepted;
    el.game.hidden = !accepted;
    el.fairness.hidden = !accepted;
  }

  function showFairness(seed) {
    el.seedHash.textContent = String(seed.server_seed_hash);
    el.clientSeed.textContent = String(seed.client_seed);
    el.nextNonce.textContent = String(seed.next_nonce);
  }

  function hundredths(value) {
    return (Number(value) / 100).toFixed(2);
  }

  function multiplierText(text) {
    // "19801/10000" or "1.98": shown as a decimal with at most four places.
    if (typeof text !== "string") return "";
    const [num, den] = text.split("/");
    const value = Number(num) / (den === undefined ? 1 : Number(den));
    return Number.isFinite(value) ? `×${Number(value.toFixed(4))}` : "";
  }

  function showOutcome(bet) {
    const params = bet.params || {};
    const won = bet.state === "won";
    const roll = hundredths(bet.outcome);
    const verdict = won ? `You won ${bet.payout} ${bet.stake.currency}` : "No win this time";
    el.outcome.textContent = `Rolled ${roll} — ${verdict}`;
    el.outcomeDetail.textContent =
      `Bet ${bet.stake.amount} ${bet.stake.currency} on ${params.direction} ${params.target} ` +
      `${multiplierText(bet.multiplier)} · nonce ${bet.nonce} · server seed hash ${bet.server_seed_hash}`;
    el.result.dataset.state = bet.state;
    el.result.dataset.outcome = roll;
    el.result.hidden = false;
  }

  function direction() {
    const checked = el.form.querySelector('input[name="direction"]:checked');
    return checked ? checked.value : "under";
  }

  function updateChance() {
    const [low, high] = TARGETS[direction()];
    el.target.min = low.toFixed(2);
    el.target.max = high.toFixed(2);
    const target = Number(el.target.value);
    if (!Number.isFinite(target) || target < low || target > high) {
      el.chance.textContent = `Pick a target from ${low.toFixed(2)} to ${high.toFixed(2)}.`;
      return;
    }
    const cents = Math.round(target * 100);
    const wins = direction() === "under" ? cents : ROLLS - 1 - cents;
    el.chance.textContent = `Win chance ${((wins / ROLLS) * 100).toFixed(2)}%`;
  }

  // -- actions -----------------------------------------------------------------------------

  async function refreshBalances() {
    const before = state.liveApplied;
    const found = await request("GET", "/balances");
    // A live change that arrived while this was in flight may be newer than what it read;
    // if the read was the newer one, its event is still on the way.
    if (state.liveApplied === before) showBalances(found.balances);
  }

  async function refreshFairness() {
    showFairness(await request("GET", "/fairness"));
  }

  async function acceptTerms() {
    if (state.busy) return;
    state.busy = true;
    el.accept.disabled = true;
    showMessage("");
    try {
      await request("POST", "/terms", {});
      showGate(true);
      await refreshFairness();
      el.stake.focus();
    } catch (error) {
      showError(error);
    } finally {
      state.busy = false;
      el.accept.disabled = false;
    }
  }

  function newRequestId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  function readBet() {
    const stake = Number(el.stake.value);
    if (!Number.isSafeInteger(stake) || stake < 1) {
      throw new ApiError(0, "The stake is a whole number of Stars, at least 1.");
    }
    const [low, high] = TARGETS[direction()];
    const text = el.target.value.trim();
    const target = Number(text);
    if (!/^\d{1,3}(\.\d{1,2})?$/.test(text) || target < low || target > high) {
      throw new ApiError(0, `The target is a number from ${low.toFixed(2)} to ${high.toFixed(2)}, with at most two decimals.`);
    }
    return { stake, params: { direction: direction(), target: target.toFixed(2) } };
  }

  async function roll(event) {
    event.preventDefault();
    if (state.busy) return; // one bet per press, however fast the clicks come
    showMessage("");
    let bet;
    try {
      bet = readBet();
    } catch (error) {
      showError(error);
      return;
    }
    state.busy = true;
    el.roll.disabled = true;
    el.roll.setAttribute("aria-busy", "true");
    el.roll.textContent = "Rolling…";
    try {
      const played = await request("POST", "/play", {
        game: "dice",
        stake: bet.stake,
        currency: CURRENCY,
        request_id: newRequestId(), // fresh per press; a retry of this request would reuse it
        params: bet.params,
      });
      showOutcome(played.bet);
      setBalance(played.balance.amount, played.balance.currency);
      await refreshFairness();
    } catch (error) {
      showError(error);
    } finally {
      state.busy = false;
      el.roll.disabled = false;
      el.roll.removeAttribute("aria-busy");
      el.roll.textContent = "Roll";
    }
  }

  async function rotate() {
    if (state.busy) return;
    state.busy = true;
    el.rotate.disabled = true;
    showMessage("");
    try {
      const rotation = await request("POST", "/fairness/rotate", {});
      showFairness(rotation.active);
      el.revealedSeed.textContent = rotation.revealed_server_seed || "(no bets were made with it)";
      el.revealed.hidden = false;
    } catch (error) {
      showError(error);
    } finally {
      state.busy = false;
      el.rotate.disabled = false;
    }
  }

  // -- live updates ------------------------------------------------------------------------

  function setLive(online, text) {
    el.live.dataset.state = online ? "online" : "offline";
    el.live.textContent = text;
  }

  function connectLive() {
    if (!("WebSocket" in window) || !state.token) return;
    clearTimeout(state.reconnectTimer);
    const old = state.socket;
    state.socket = null;
    if (old) old.close(1000);
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    // The token rides in the subprotocol list: browsers cannot set headers on a WebSocket,
    // and this keeps it out of URLs and access logs.
    const socket = new WebSocket(`${scheme}//${window.location.host}${API}/live`, [
      LIVE_PROTOCOL,
      `bearer.${state.token}`,
    ]);
    state.socket = socket;
    socket.addEventListener("message", (event) => {
      if (state.socket === socket) onLive(event.data);
    });
    socket.addEventListener("close", (event) => {
      if (state.socket !== socket) return; // replaced on purpose
      state.socket = null;
      setLive(false, "Live updates: reconnecting…");
      scheduleReconnect(event.code);
    });
  }

  function scheduleReconnect(code) {
    const delay = Math.min(30_000, 1000 * 2 ** Math.min(state.retries, 5)) * (0.75 + Math.random() / 2);
    state.retries += 1;
    state.reconnectTimer = setTimeout(async () => {
      try {
        if (code === POLICY_VIOLATION) state.token = null; // expired: take a fresh one
        await ensureSession();
        connectLive();
      } catch (error) {
        setLive(false, "Live updates: off");
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
        state.retries = 0;
        setLive(message.live !== false, message.live === false ? "Live updates: waiting…" : "Live updates: on");
        // Whatever happened while the socket was away is fetched once.
        catchUp();
        break;
      case "resync":
        setLive(true, "Live updates: on");
        catchUp();
        break;
      case "ledger.transaction_posted":
        applyLedger(message, data);
        break;
      case "bet.placed":
      case "bet.settled":
      case "bet.voided":
        if (!el.fairness.hidden) refreshFairness().catch(() => {});
        break;
      default:
        break;
    }
  }

  function applyLedger(message, data) {
    if (data.player_id !== state.playerId || !Array.isArray(data.balances)) return;
    // Events of one player are numbered in order; a late duplicate must not undo a newer one.
    const sequence = Number(message.sequence);
    if (Number.isSafeInteger(sequence)) {
      if (sequence <= state.ledgerSequence) return;
      state.ledgerSequence = sequence;
    }
    state.liveApplied += 1;
    for (const change of data.balances) {
      if (change && change.account_kind === "player_wallet") setBalance(change.balance, change.currency);
    }
  }

  function catchUp() {
    refreshBalances().catch(() => {});
    if (!el.fairness.hidden) refreshFairness().catch(() => {});
  }

  // -- start -------------------------------------------------------------------------------

  async function start() {
    const launch = launchParams();
    applyTheme(launch.theme);
    if (launch.webApp) {
      try {
        launch.webApp.ready();
        launch.webApp.expand();
      } catch {
        // an older client: nothing to do
      }
    }
    el.form.addEventListener("submit", roll);
    el.form.addEventListener("input", updateChance);
    el.form.addEventListener("change", updateChance);
    el.accept.addEventListener("click", acceptTerms);
    el.rotate.addEventListener("click", rotate);
    updateChance();

    state.initData = launch.initData;
    if (!state.initData) {
      showStatus("");
      showMessage("Open this page from the casino bot in Telegram.");
      setLive(false, "Live updates: off");
      return;
    }
    const name = firstName(state.initData);
    el.greeting.textContent = name ? `Hi, ${name}!` : "";
    try {
      state.opening = openSession();
      const session = await state.opening;
      state.opening = null;
      const me = await request("GET", "/me");
      showBalances(me.balances);
      showGate(session.terms_accepted);
      if (session.terms_accepted) await refreshFairness();
      showStatus("");
      connectLive();
    } catch (error) {
      state.opening = null;
      showStatus("");
      showError(error);
    }
  }

  start();
})();
