// The notification choices (GET and PUT /notifications, docs/notifications.md): one switch for
// every topic the API answers, in its order, so a topic added on the server shows here with no
// change but its texts (notifications.topic.<topic>; until it has them, its code made
// readable). A required topic is shown on and cannot be switched, with the reason. A choice is
// saved at once; a refusal puts the switch back and says why in the player's language.
import { request } from "./api.js";
import { t, tOr } from "./i18n.js";
import { $, h, showError, showMessage } from "./ui.js";

const screen = { saving: false };

function readable(code) {
  const words = String(code).replace(/[_.-]+/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function topicName(topic) {
  return tOr(`notifications.topic.${topic}`, readable(topic));
}

function requiredReason(topic) {
  return tOr(`notifications.required_reason.${topic}`, t("notifications.required_reason"));
}

function note(text) {
  $("notifications-note").textContent = text;
  $("notifications-note").hidden = !text;
}

function row(item) {
  const id = `notify-${item.topic}`;
  const required = Boolean(item.required);
  const input = h("input", {
    type: "checkbox",
    id,
    role: "switch",
    checked: Boolean(item.on) || required,
    disabled: required,
    dataset: { topic: item.topic },
    "aria-describedby": required ? `${id}-why` : undefined,
  });
  input.addEventListener("change", () => choose(item.topic, input));
  return h(
    "li",
    { dataset: { topic: item.topic, state: required ? "required" : item.on ? "on" : "off" } },
    h("label", { for: id }, h("span", { class: "row-main", text: topicName(item.topic) }), input),
    required ? h("p", { class: "hint", id: `${id}-why`, text: requiredReason(item.topic) }) : null,
  );
}

function render(found) {
  const topics = Array.isArray(found && found.topics) ? found.topics.filter((item) => item && typeof item.topic === "string") : [];
  $("notification-list").replaceChildren(...topics.map(row));
}

async function choose(topic, input) {
  if (screen.saving) {
    input.checked = !input.checked; // one choice at a time: this one did not happen
    return;
  }
  const wanted = input.checked;
  screen.saving = true;
  input.disabled = true;
  showMessage("");
  note("");
  try {
    render(await request("PUT", "/notifications", { topic, on: wanted }));
    note(t(wanted ? "notifications.turned_on" : "notifications.turned_off", { topic: topicName(topic) }));
  } catch (error) {
    input.checked = !wanted;
    input.disabled = false;
    showError(error);
  } finally {
    screen.saving = false;
  }
}

export async function openNotifications() {
  note("");
  render(await request("GET", "/notifications"));
}
