// Shared helpers of the local test site.
// When the server rejects a submission it re-renders the form page with a
// <script id="server-state" type="application/json">{"values": …, "errors": …}</script>;
// this puts the submitted values back and shows each message next to its field, also as the
// field's validationMessage (setCustomValidity), cleared as soon as the user edits the field.
"use strict";

function siteFieldError(control, message) {
  const name = control.name;
  let box = document.querySelector(`[data-error-for="${name}"]`);
  if (!box) {
    box = document.createElement("span");
    box.className = "error";
    box.dataset.errorFor = name;
    const anchor = control.closest("label") || control;
    anchor.insertAdjacentElement("afterend", box);
  }
  box.textContent = message;
  box.setAttribute("role", message ? "alert" : "none");
  control.setCustomValidity(message);
  control.setAttribute("aria-invalid", message ? "true" : "false");
}

function siteApplyServerState() {
  const node = document.getElementById("server-state");
  if (!node) return;
  const state = JSON.parse(node.textContent);
  const form = document.querySelector("form[data-server-state]") || document.querySelector("form");
  for (const [name, raw] of Object.entries(state.values || {})) {
    const values = Array.isArray(raw) ? raw : [raw];
    for (const el of form.querySelectorAll(`[name="${name}"]`)) {
      if (el.type === "checkbox" || el.type === "radio") el.checked = values.includes(el.value);
      else if (el.type === "file" || el.type === "password") continue;
      else if (el.multiple) for (const o of el.options) o.selected = values.includes(o.value);
      else el.value = values[0];
    }
  }
  for (const [name, message] of Object.entries(state.errors || {})) {
    if (name === "_form") {
      const box = document.getElementById("form-error");
      if (box) { box.textContent = message; box.hidden = false; }
      continue;
    }
    const control = form.querySelector(`[name="${name}"]`);
    if (!control) continue;
    siteFieldError(control, message);
    if ("liveValidation" in form.dataset) continue;  // the page re-checks edits itself
    const clear = () => siteFieldError(control, "");
    control.addEventListener("input", clear, { once: true });
    control.addEventListener("change", clear, { once: true });
  }
}

// Instruction pages report what the user did with a background POST (as a real settings page
// saves itself) and show it in a status element.
function siteReport(path, data, statusEl, text) {
  const body = new URLSearchParams(data);
  return fetch(path, { method: "POST", body }).then((r) => {
    if (statusEl) statusEl.textContent = r.ok ? text : "保存失败 / Save failed";
  });
}

document.addEventListener("DOMContentLoaded", siteApplyServerState);
