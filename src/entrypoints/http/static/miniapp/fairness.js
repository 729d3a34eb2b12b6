// Provably fair: the active commitment (server seed hash, client seed, next nonce), shown
// before every bet, and the rotation that reveals the server seed so every bet made with it
// can be checked.
import { request } from "./api.js";
import { t } from "./i18n.js";
import { $, once } from "./ui.js";

function showFairness(seed) {
  $("seed-hash").textContent = String(seed.server_seed_hash);
  $("client-seed").textContent = String(seed.client_seed);
  $("next-nonce").textContent = String(seed.next_nonce);
  // the short form under each game: what the next bet is committed to
  $("commitment").textContent = t("fairness.commitment", { nonce: seed.next_nonce, hash: String(seed.server_seed_hash).slice(0, 16) });
}

export async function refreshFairness() {
  showFairness(await request("GET", "/fairness"));
}

async function rotate() {
  const chosen = $("new-client-seed").value.trim();
  const rotation = await request("POST", "/fairness/rotate", chosen ? { client_seed: chosen } : {});
  showFairness(rotation.active);
  $("revealed-seed").textContent = rotation.revealed_server_seed || t("fairness.unused");
  $("revealed").hidden = false;
  $("new-client-seed").value = "";
}

export function setUpFairness() {
  $("rotate").addEventListener("click", () => once($("rotate"), null, rotate));
}
