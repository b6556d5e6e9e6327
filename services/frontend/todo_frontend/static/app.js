// Page behaviour beyond htmx: the chat's client_time, due-date labels, and keeping the chat usable.
"use strict";

// The browser's local time as ISO 8601 with its UTC offset (e.g. 2026-11-23T09:05:00-05:00), so
// "tomorrow" in chat means the user's tomorrow, not the server's.
function localIsoTime(now) {
  const pad = (n) => String(Math.floor(Math.abs(n))).padStart(2, "0");
  const offset = -now.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  return (
    `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}` +
    `T${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}` +
    `${sign}${pad(offset / 60)}:${pad(offset % 60)}`
  );
}

function localIsoDate(day) {
  return localIsoTime(day).slice(0, 10);
}

// "Due 2026-11-24" gains "· tomorrow" / "· today" / "· overdue" relative to the user's own calendar.
function labelDueDates(root) {
  const today = new Date();
  const tomorrow = new Date(today.getFullYear(), today.getMonth(), today.getDate() + 1);
  const todayIso = localIsoDate(today);
  const tomorrowIso = localIsoDate(tomorrow);
  root.querySelectorAll("time[data-due]").forEach((el) => {
    const due = el.dataset.due;
    const done = el.closest(".is-done") !== null;
    let label = "";
    if (due === todayIso) label = "today";
    else if (due === tomorrowIso) label = "tomorrow";
    else if (due < todayIso && !done) label = "overdue";
    el.classList.toggle("overdue", label === "overdue");
    el.classList.toggle("soon", label === "today" || label === "tomorrow");
    el.textContent = `Due ${due}` + (label ? ` · ${label}` : "");
  });
}

// Capture phase: runs before htmx reads the form, and also for a plain (no-JS-swap) submit.
document.addEventListener(
  "submit",
  (event) => {
    const form = event.target;
    if (form.id === "chat-form") form.elements["client_time"].value = localIsoTime(new Date());
  },
  true,
);

document.addEventListener("htmx:afterRequest", (event) => {
  const form = event.detail.elt;
  if (form.id !== "chat-form") return;
  const input = form.elements["message"];
  if (event.detail.successful) input.value = "";
  input.focus();
});

// Network failure (frontend unreachable): say so in the chat log instead of silently doing nothing.
document.addEventListener("htmx:sendError", (event) => {
  if (event.detail.elt.id !== "chat-form") return;
  const item = document.createElement("li");
  item.className = "chat-msg chat-reply chat-error";
  item.textContent = "Could not reach the server. Check your connection and try again.";
  document.getElementById("chat-log").appendChild(item);
});

document.addEventListener("DOMContentLoaded", () => labelDueDates(document));
document.addEventListener("htmx:afterSettle", () => labelDueDates(document));
