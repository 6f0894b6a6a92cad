// Vantage's own script. Pages work without it; it adds: "/" focuses search, and a running
// session's page follows its session (polls the page's .json twin, redraws on change).
"use strict";

document.addEventListener("keydown", (event) => {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target instanceof HTMLElement && target.closest("input, textarea, select")) return;
  const search = document.querySelector("[data-focus-key='/']");
  if (search instanceof HTMLInputElement) {
    event.preventDefault();
    search.focus();
  }
});

// Dashboard: a collapsed group stays collapsed on the next visit (the <details> elements collapse
// without this script too), except while a filter is on: then every group shows its matches.
const filtered = document.querySelector("form.filters[data-filtered]") !== null;
const COLLAPSED = "vantage.collapsedGroups";
function collapsedGroups() {
  try {
    return new Set(JSON.parse(localStorage.getItem(COLLAPSED) || "[]"));
  } catch (_error) {
    return new Set();
  }
}
for (const group of document.querySelectorAll("details.group[data-group]")) {
  const key = group.getAttribute("data-group");
  if (!filtered && collapsedGroups().has(key)) group.open = false;
  group.addEventListener("toggle", () => {
    const set = collapsedGroups();
    if (group.open) set.delete(key);
    else set.add(key);
    try {
      localStorage.setItem(COLLAPSED, JSON.stringify([...set]));
    } catch (_error) {
      // storage refused (private mode): collapsing still works for this page
    }
  });
}

function follow(root) {
  const url = root.getAttribute("data-poll");
  if (!url) return;
  let last = null;
  const tick = async () => {
    try {
      const answer = await fetch(url, { headers: { accept: "application/json" }, credentials: "same-origin" });
      if (answer.ok) {
        const data = await answer.json();
        const session = data.session;
        const seen = JSON.stringify([session.status, session.locations]);
        const shown = root.querySelector("#session-status");
        const changed =
          last === null
            ? session.ended || (shown !== null && shown.textContent !== session.status)
            : seen !== last;
        if (changed) {
          // Something changed: redraw the section from the HTML page itself.
          const page = await fetch(location.href, { credentials: "same-origin" });
          const doc = new DOMParser().parseFromString(await page.text(), "text/html");
          const fresh = doc.getElementById("session");
          if (fresh) {
            root.replaceWith(fresh);
            root = fresh;
          }
        }
        last = seen;
        if (session.ended) return;
      }
    } catch (_error) {
      // offline for a moment: try again at the next tick
    }
    setTimeout(tick, 1500);
  };
  setTimeout(tick, 1000);
}

const session = document.getElementById("session");
if (session) follow(session);
