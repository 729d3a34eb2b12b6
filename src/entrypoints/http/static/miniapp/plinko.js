// Plinko: the board for the chosen rows, and the ball's drop replayed from the bet's outcome.
// The outcome is the ball's path: bit i (least significant first) is 1 when the ball went
// right at row i; the slot is the number of rights, 0 .. rows.
import { t } from "./i18n.js";
import { choiceText, multiplierText } from "./ui.js";

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 320;
const STEP_MS = 130; // one row of the fall

function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  return node;
}

function geometry(rows) {
  const gap = WIDTH / (rows + 2);
  const rise = gap * 0.86;
  const top = gap * 0.9;
  return {
    gap,
    rowY: (r) => top + r * rise,
    slotY: top + rows * rise,
    height: top + rows * rise + gap + 22,
    // the ball after `rights` rights in the first `r` rows
    ballX: (r, rights) => WIDTH / 2 + (rights - r / 2) * gap,
  };
}

export function slotOf(path, rows) {
  let slot = 0;
  for (let i = 0; i < rows; i += 1) if (Math.floor(path / 2 ** i) % 2 === 1) slot += 1;
  return slot;
}

function rowsOf(value) {
  const rows = Number(value);
  return Number.isInteger(rows) && rows >= 1 && rows <= 32 ? rows : 12;
}

function board(rows) {
  const g = geometry(rows);
  const root = svg("svg", {
    viewBox: `0 0 ${WIDTH} ${g.height.toFixed(1)}`,
    class: "plinko",
    role: "img",
    "aria-label": t("plinko.board", { rows }),
  });
  const pegRadius = Math.max(2, g.gap * 0.09);
  for (let r = 0; r < rows; r += 1) {
    for (let j = 0; j < r + 3; j += 1) {
      const x = WIDTH / 2 + (j - (r + 2) / 2) * g.gap;
      root.append(svg("circle", { cx: x.toFixed(1), cy: g.rowY(r).toFixed(1), r: pegRadius, class: "peg" }));
    }
  }
  for (let s = 0; s <= rows; s += 1) {
    const x = g.ballX(rows, s);
    const slot = svg("rect", {
      x: (x - g.gap * 0.46).toFixed(1),
      y: (g.slotY + g.gap * 0.1).toFixed(1),
      width: (g.gap * 0.92).toFixed(1),
      height: (g.gap * 0.8).toFixed(1),
      rx: 3,
      class: "slot",
      "data-slot": s,
    });
    // the edge slots pay most: shade by distance from the middle
    slot.style.setProperty("--far", String(Math.abs(s - rows / 2) / (rows / 2)));
    root.append(slot);
  }
  const ball = svg("circle", { cx: WIDTH / 2, cy: (g.rowY(0) - g.gap * 0.6).toFixed(1), r: g.gap * 0.22, class: "ball" });
  root.append(ball);
  return root;
}

function reducedMotion() {
  return window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
}

function animate(ball, points) {
  // points: [{x, y}] the ball passes through; a small hop between two pegs
  return new Promise((resolve) => {
    if (reducedMotion() || points.length < 2) {
      const last = points[points.length - 1];
      ball.setAttribute("cx", last.x.toFixed(1));
      ball.setAttribute("cy", last.y.toFixed(1));
      resolve();
      return;
    }
    const started = performance.now();
    const frame = (now) => {
      // A frame's timestamp is when the frame began, which may be a moment before `started`:
      // a negative t made points[-1] undefined, the callback threw and the ball never landed.
      const t = Math.max(0, (now - started) / STEP_MS);
      const i = Math.min(points.length - 2, Math.floor(t));
      const f = Math.min(1, t - i);
      const a = points[i];
      const b = points[i + 1];
      const hop = Math.sin(Math.PI * f) * 6;
      ball.setAttribute("cx", (a.x + (b.x - a.x) * f).toFixed(1));
      ball.setAttribute("cy", (a.y + (b.y - a.y) * f * f - hop).toFixed(1));
      if (t < points.length - 1) requestAnimationFrame(frame);
      else resolve();
    };
    requestAnimationFrame(frame);
  });
}

export const plinko = {
  hint(values) {
    return t("plinko.hint", { rows: rowsOf(values.rows), risk: choiceText("plinko", "risk", values.risk || "medium") });
  },
  betText: (params) => t("plinko.bet", { rows: rowsOf(params.rows), risk: choiceText("plinko", "risk", params.risk) }),
  prepare(stage, values) {
    stage.replaceChildren(board(rowsOf(values.rows)));
  },
  outcome(bet) {
    const rows = rowsOf(bet.params && bet.params.rows);
    return t("plinko.slot", { slot: slotOf(Number(bet.outcome), rows), rows, multiplier: multiplierText(bet.multiplier) }).trim();
  },
  async play(stage, bet) {
    const rows = rowsOf(bet.params && bet.params.rows);
    const root = board(rows);
    stage.replaceChildren(root);
    const g = geometry(rows);
    const ball = root.querySelector(".ball");
    const path = Number(bet.outcome);
    const points = [{ x: WIDTH / 2, y: g.rowY(0) - g.gap * 0.6 }];
    let rights = 0;
    for (let r = 0; r < rows; r += 1) {
      points.push({ x: g.ballX(r, rights), y: g.rowY(r) - g.gap * 0.3 });
      if (Math.floor(path / 2 ** r) % 2 === 1) rights += 1;
    }
    points.push({ x: g.ballX(rows, rights), y: g.slotY + g.gap * 0.5 });
    root.dataset.state = "dropping";
    await animate(ball, points);
    const slot = root.querySelector(`[data-slot="${rights}"]`);
    if (slot) slot.classList.add("landed");
    const label = svg("text", {
      x: Math.min(WIDTH - 24, Math.max(24, g.ballX(rows, rights))).toFixed(1),
      y: (g.slotY + g.gap + 16).toFixed(1),
      class: "slot-label",
      "text-anchor": "middle",
    });
    label.textContent = multiplierText(bet.multiplier) || "×0";
    root.append(label);
    root.dataset.state = "landed";
    root.dataset.slot = String(rights);
  },
};
