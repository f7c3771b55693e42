// rsiwatch review page: keyboard review of the queue.  Plain JavaScript, no inline script (CSP), and
// never innerHTML: everything from the server is set with textContent or form values.
"use strict";
// Loaded in <head>: it marks the page as scripted before anything is drawn (CSS then shows actions on the
// current card only and hides the no-JavaScript hints), and sets up the page once it is parsed.
document.documentElement.classList.add("js");
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", reviewPage);
else reviewPage();

function reviewPage() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  const csrf = meta ? meta.content : "";
  const items = Array.from(document.querySelectorAll("li.item"));
  const flash = document.getElementById("flash");
  const search = document.getElementById("search");
  const acceptDialog = document.getElementById("accept-dialog");
  const reasonDialog = document.getElementById("reason-dialog");
  const helpDialog = document.getElementById("help-dialog");
  const conflictDialog = document.getElementById("conflict-dialog");
  const undoStack = [];
  let current = -1;

  // A message in the footer; after a decision it carries an undo button (touch screens have no u key).
  function say(text, isError, undoId) {
    if (!flash) return;
    flash.textContent = text;
    flash.classList.toggle("is-error", Boolean(isError));
    if (undoId) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = "undo";
      button.title = "undo this decision (or press u)";
      button.addEventListener("click", () => { const item = itemById(undoId); if (item) undoCard(item); });
      flash.append(" ", button);
    }
  }

  // focus: false marks the card current without moving focus or scrolling (on load, and when Tab
  // reaches a link inside a card), so Tab keeps its order: header, filters, cards.
  function select(index, focus = true) {
    if (!items.length) return;
    index = Math.max(0, Math.min(items.length - 1, index));
    if (current >= 0 && items[current]) items[current].classList.remove("current");
    current = index;
    const item = items[current];
    item.classList.add("current");
    item.setAttribute("aria-current", "true");
    if (focus) {
      item.focus({ preventScroll: true });
      item.scrollIntoView({ block: "nearest", behavior: "instant" });
    }
    items.forEach((other, i) => { if (i !== current) other.removeAttribute("aria-current"); });
  }

  function currentItem() { return current >= 0 ? items[current] : null; }

  function itemById(id) { return items.find((item) => item.dataset.id === id) || null; }

  // The queue's counts follow each decision (the status menu's "new (N)", the summary's total), so the
  // page never says what stood at load time.
  function recount(from, to) {
    document.querySelectorAll('select[name="status"] option[data-count]').forEach((option) => {
      const n = Number(option.dataset.count) + (option.value === to ? 1 : 0) - (option.value === from ? 1 : 0);
      option.dataset.count = String(n);
      option.textContent = option.value.replace(/_/g, " ") + (n ? " (" + n + ")" : "");
    });
    const total = document.querySelector("[data-total]");
    if (total && total.dataset.status !== "all") {
      const n = Number(total.textContent) + (total.dataset.status === to ? 1 : 0) - (total.dataset.status === from ? 1 : 0);
      total.textContent = String(n);
    }
  }

  function setStatus(item, status, category) {
    if (item.dataset.status !== status) recount(item.dataset.status, status);
    item.dataset.status = status;
    const label = item.querySelector("[data-status-label]");
    if (label) label.textContent = status.replace(/_/g, " ");
    if (category) {
      const chip = item.querySelector("[data-category]");
      if (chip) chip.textContent = category;
    }
  }

  async function post(url, fields) {
    const body = new FormData();
    Object.entries(fields).forEach(([key, value]) => body.append(key, value));
    const response = await fetch(url, {
      method: "POST", body, credentials: "same-origin", headers: { "X-CSRF-Token": csrf, Accept: "application/json" },
    });
    let data = {};
    try { data = await response.json(); } catch (e) { data = { error: response.statusText }; }
    if (!response.ok) {
      const err = new Error(data.error || ("HTTP " + response.status));
      err.status = response.status;
      err.data = data;
      throw err;
    }
    return data;
  }

  // Every decision carries the state the page showed (data-seen: the latest decision id).  When the work
  // was decided since (elsewhere, by someone else), the server refuses with 409 and says what stands and
  // who decided it; the curator may then replace it on purpose, which resends with the new state.
  async function postDecision(item, url, fields) {
    try {
      const data = await post(url, { ...fields, seen: item.dataset.seen || "0" });
      if (data.decision !== undefined) item.dataset.seen = String(data.decision);
      return data;
    } catch (err) {
      if (err.status !== 409 || !err.data || err.data.latest === undefined || !conflictDialog) throw err;
      setStatus(item, err.data.status);
      const standing = err.data.standing || {};
      const who = standing.decided_by || "someone";
      const what = (standing.action || "undo").replace(/_/g, " ");
      conflictDialog.querySelector("[data-conflict]").textContent =
        item.dataset.id + " is " + err.data.status.replace(/_/g, " ") + " now: " + what + " by " + who +
        (standing.decided_at ? " at " + standing.decided_at : "") + ".";
      const yours = url === "/api/undo" ? "undo" : url === "/api/accept" ? "accept" : String(fields.action || "").replace(/_/g, " ");
      const yoursLine = conflictDialog.querySelector("[data-yours]");
      if (yoursLine) yoursLine.textContent = "Yours was: " + yours + ". Nothing was changed.";
      const replace = await new Promise((resolve) => {
        const button = conflictDialog.querySelector("[data-replace]");
        const done = (answer) => { button.onclick = null; conflictDialog.onclose = null; resolve(answer); };
        button.onclick = () => { done(true); conflictDialog.close(); };
        conflictDialog.onclose = () => done(false);
        conflictDialog.showModal();
        // The safe choice first: Enter keeps the colleague's decision; replacing it takes a deliberate click.
        const keep = conflictDialog.querySelector("[data-close]");
        if (keep) keep.focus();
      });
      if (!replace) { item.dataset.seen = String(err.data.latest); throw new Error("kept the standing decision"); }
      item.dataset.seen = String(err.data.latest);
      const data = await post(url, { ...fields, seen: item.dataset.seen });
      if (data.decision !== undefined) item.dataset.seen = String(data.decision);
      return data;
    }
  }

  function nextUndecided() {
    for (let i = current + 1; i < items.length; i++) if (items[i].dataset.status === "new") return i;
    return Math.min(current + 1, items.length - 1);
  }

  async function decide(item, action, note) {
    try {
      const data = await postDecision(item, "/api/decide", { id: item.dataset.id, action, note: note || "" });
      setStatus(item, data.status);
      undoStack.push(item.dataset.id);
      say(action.replace(/_/g, " ") + ": " + item.dataset.id, false, item.dataset.id);
      select(nextUndecided());
    } catch (err) { say("could not save: " + err.message, true); }
  }

  // u: the last decision made on this page, wherever it is (the page goes there).
  async function undo() {
    const id = undoStack.length ? undoStack.pop() : (currentItem() && currentItem().dataset.id);
    if (!id) return;
    const item = itemById(id);
    try {
      const data = item ? await postDecision(item, "/api/undo", { id }) : await post("/api/undo", { id });
      if (item) { setStatus(item, data.status); select(items.indexOf(item)); }
      say("undone: " + id + " is " + data.status.replace(/_/g, " ") + " again");
    } catch (err) { say("could not undo: " + err.message, true); }
  }

  // A card's own "undo this decision" button: that card, whatever was decided last.
  async function undoCard(item) {
    const id = item.dataset.id;
    try {
      const data = await postDecision(item, "/api/undo", { id });
      setStatus(item, data.status);
      const at = undoStack.lastIndexOf(id);
      if (at >= 0) undoStack.splice(at, 1);  // u must not reverse this card a second time
      say("undone: " + id + " is " + data.status.replace(/_/g, " ") + " again");
    } catch (err) { say("could not undo: " + err.message, true); }
  }

  function openDialog(dialog) {
    dialog.querySelectorAll("[data-error]").forEach((el) => { el.textContent = ""; });
    clearFieldErrors(dialog);
    dialog.showModal();
  }

  function clearFieldErrors(dialog) {
    dialog.querySelectorAll("[aria-invalid]").forEach((el) => { el.removeAttribute("aria-invalid"); el.removeAttribute("aria-describedby"); });
    dialog.querySelectorAll(".field-error[data-js]").forEach((el) => el.remove());
  }

  // A refusal names its fields ("year: expected ..."; the server sends every broken field in `errors`):
  // each shown by its field, marked invalid and pointed to (aria-describedby); the first one is focused.
  // A message that names no field of the form is said under the fields.
  function showFieldErrors(dialog, err) {
    clearFieldErrors(dialog);
    const found = (err.data && Array.isArray(err.data.errors) && err.data.errors.length) ? err.data.errors
      : [{ field: (err.message.match(/^([a-z_]+):/) || [])[1], message: err.message }];
    const elsewhere = [];
    found.forEach(({ field: name, message }) => {
      const field = name ? dialog.querySelector("form").elements[name] : null;
      if (!field || !field.closest || field.hasAttribute("aria-invalid")) { elsewhere.push(message); return; }
      const note = document.createElement("span");
      note.className = "field-error";
      note.dataset.js = "1";
      note.id = "accept-error-" + name;
      note.setAttribute("role", "alert");
      note.textContent = message;
      field.setAttribute("aria-invalid", "true");
      field.setAttribute("aria-describedby", note.id);
      field.insertAdjacentElement("afterend", note);
    });
    dialog.querySelector("[data-error]").textContent = elsewhere.join("; ");
    // The first broken field of the form, top to bottom (the rules name them in their own order).
    const first = dialog.querySelector("form [aria-invalid]");
    if (first) first.focus();
  }

  // Leaving an edited accept form asks first (Esc, Cancel): a slip of the key loses no typing.
  function acceptEdited() {
    return acceptDialog && acceptDialog.open && acceptDialog.dataset.snapshot !== undefined &&
      JSON.stringify(formFields(acceptDialog.querySelector("form"))) !== acceptDialog.dataset.snapshot;
  }
  function mayLeaveAccept() {
    return !acceptEdited() || window.confirm("Discard your edits to this entry?");
  }

  function askReason(item, action) {
    const form = reasonDialog.querySelector("form");
    form.elements.id.value = item.dataset.id;
    form.elements.action.value = action;
    form.elements.note.value = "";
    reasonDialog.querySelector("h2").textContent = action === "reject" ? "Reject" : "Out of scope";
    const title = item.querySelector(".title");
    reasonDialog.querySelector("[data-title]").textContent = title ? title.textContent : item.dataset.id;
    openDialog(reasonDialog);
    form.elements.note.focus();
  }

  async function openAccept(item) {
    let entry;
    try {
      const response = await fetch("/api/entry?id=" + encodeURIComponent(item.dataset.id), { credentials: "same-origin" });
      entry = await response.json();
      if (!response.ok) throw new Error(entry.error || response.statusText);
    } catch (err) { say("could not load the entry: " + err.message, true); return; }
    const form = acceptDialog.querySelector("form");
    form.elements.id.value = item.dataset.id;
    ["title", "description", "category", "year", "date_published", "url", "authors", "affiliations", "submitter",
      "published_venue", "published_doi", "code_url"].forEach((name) => {
      if (!form.elements[name]) return;
      const value = entry[name];
      form.elements[name].value = value === null || value === undefined ? "" : String(value);
    });
    const from = acceptDialog.querySelector("[data-filled-from]");
    const filled = Object.keys(entry.filled_from || {});
    if (from) from.textContent = filled.length ? "Filled in from " + [...new Set(Object.values(entry.filled_from))].join(", ") +
      ": " + filled.join(", ").replace(/_/g, " ") + ". Check them before saving." : "";
    ["company_reported", "disputed", "deployed_in_production"].forEach((flag) => {
      form.elements[flag].checked = (entry.flags || []).includes(flag);
    });
    openDialog(acceptDialog);
    acceptDialog.dataset.snapshot = JSON.stringify(formFields(form));
    form.elements.description.focus();
  }

  function formFields(form) {
    const fields = {};
    new FormData(form).forEach((value, key) => { fields[key] = value; });
    return fields;
  }

  if (acceptDialog) {
    acceptDialog.querySelector("form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = event.target;
      const id = form.elements.id.value;
      try {
        const item = itemById(id);
        acceptDialog.close();
        const data = item ? await postDecision(item, "/api/accept", formFields(form)) : await post("/api/accept", formFields(form));
        if (item) { setStatus(item, "accepted", data.category); }
        undoStack.push(id);
        say("accepted into the catalog as entry " + data.catalog_id, false, id);
        if (item) { select(items.indexOf(item)); select(nextUndecided()); }
      } catch (err) {
        if (err.status === 400) { acceptDialog.showModal(); showFieldErrors(acceptDialog, err); }
        else say("could not accept: " + err.message, true);
      }
    });
    // Enter in the description saves too (Shift+Enter for a new line).
    acceptDialog.querySelector("textarea").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); event.target.form.requestSubmit(); }
    });
  }

  if (reasonDialog) {
    reasonDialog.querySelector("form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = event.target;
      const item = itemById(form.elements.id.value);
      reasonDialog.close();
      if (item) await decide(item, form.elements.action.value, form.elements.note.value);
    });
  }

  document.querySelectorAll("dialog [data-close]").forEach((button) => {
    button.addEventListener("click", () => {
      const dialog = button.closest("dialog");
      if (dialog !== acceptDialog || mayLeaveAccept()) dialog.close();
    });
  });
  if (acceptDialog) {
    acceptDialog.addEventListener("cancel", (event) => { if (!mayLeaveAccept()) event.preventDefault(); });
  }

  function act(action, item) {
    if (!item) return;
    if (action === "accept") openAccept(item);
    else if (action === "reject" || action === "out_of_scope") askReason(item, action);
    else if (action === "defer") decide(item, "defer", "");
    else if (action === "undo-card") undoCard(item);
  }

  items.forEach((item, index) => {
    item.addEventListener("click", (event) => {
      const control = event.target.closest("[data-action]");
      if (control) {  // the card's plain-form controls, done here without leaving the page
        event.preventDefault();
        select(index);
        act(control.dataset.action, item);
        return;
      }
      if (event.target.closest("a, button, input, select, textarea, summary")) return;
      select(index);
    });
    item.addEventListener("focusin", (event) => { if (event.target !== item && current !== index) select(index, false); });
    const form = item.querySelector("form.actions");
    if (form) form.addEventListener("submit", (event) => event.preventDefault());
  });

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (document.querySelector("dialog[open]")) return;  // dialogs handle their own keys (Esc closes)
    const target = event.target;
    // A key pressed just after Esc may still reach the closed dialog's field (focus comes back a moment
    // later): it belongs to the queue, not to that field.
    const inClosedDialog = target.closest && target.closest("dialog:not([open])");
    if (!inClosedDialog && target.closest && target.closest("input, textarea, select")) {
      if (event.key === "Escape") target.blur();
      return;
    }
    const item = currentItem();
    switch (event.key) {
      case "j": select(current + 1); break;
      case "k": select(current - 1); break;
      case "a": act("accept", item); break;
      case "r": act("reject", item); break;
      case "o": act("out_of_scope", item); break;
      case "d": act("defer", item); break;
      case "u": undo(); break;
      case "/": if (search) { search.focus(); search.select(); } break;
      case "?": if (helpDialog) helpDialog.showModal(); break;
      default: return;
    }
    event.preventDefault();
  });

  if (items.length) select(0, false);
}
