"""JavaScript run in the page on one element, and the helpers the perception pass shares.

``STATE_JS`` reads a control's live state (what the actions read back) and ``CSS_JS`` gives
an element found by its text a selector a replay can use. ``HELPERS_JS`` is the common part
(visibility, text without form controls, unique CSS selectors, listbox options, the page's
complaint about a control) that ``perception_js`` prepends to its own pass.
"""

from __future__ import annotations

HELPERS_JS = r"""
  const sx = window.scrollX, sy = window.scrollY, dpr = window.devicePixelRatio || 1;
  const norm = (s) => (s || "").replace(/\s+/g, " ").trim();
  const clean = (s) => norm(s).replace(/^[*＊\s]+/, "").replace(/[\s:：*＊]+$/, "").trim();
  const box = (r) => [Math.round((r.left + sx) * dpr), Math.round((r.top + sy) * dpr),
                      Math.round((r.right + sx) * dpr), Math.round((r.bottom + sy) * dpr)];
  const shown = (el) => {
    if (!el || !el.isConnected) return false;
    if (el.checkVisibility && !el.checkVisibility({checkVisibilityCSS: true})) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const SKIP_TEXT = new Set(["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "OPTION", "SELECT",
                             "TEXTAREA", "DATALIST"]);
  // Text of an element without the text of form controls inside it (a wrapping label holds
  // its select's options) and without `exclude` (the control being named).
  const textOf = (root, exclude) => {
    const parts = [];
    const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      const p = n.parentElement;
      if (!p || SKIP_TEXT.has(p.tagName) || (exclude && exclude.contains(n))) continue;
      if (p.closest("select, textarea, [hidden], [aria-hidden=true]") ) continue;
      if (p.closest(".error, [role=alert]") && !root.matches(".error, [role=alert]")) continue;
      if (!n.nodeValue.trim()) continue;
      parts.push(n.nodeValue);
    }
    if (root.tagName === "INPUT" && ["submit", "button", "reset"].includes(root.type)) {
      parts.push(root.value);
    }
    if (!parts.length && root.getAttribute) {
      const img = root.querySelector && root.querySelector("img[alt]");
      if (img) parts.push(img.alt);
    }
    return norm(parts.join(" "));
  };
  const byIds = (ids) => norm((ids || "").split(/\s+/).filter(Boolean).map((id) => {
    const e = document.getElementById(id);
    return e ? textOf(e, null) : "";
  }).join(" "));
  const cssStr = (s) => s.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
  const uniq = (s, el) => {
    try { const all = document.querySelectorAll(s); return all.length === 1 && all[0] === el; }
    catch (e) { return false; }
  };
  const cssFor = (el) => {
    const tag = el.tagName.toLowerCase();
    if (el.id && uniq("#" + CSS.escape(el.id), el)) return "#" + CSS.escape(el.id);
    const name = el.getAttribute("name");
    if (name) {
      let s = `${tag}[name="${cssStr(name)}"]`;
      if (uniq(s, el)) return s;
      const val = el.getAttribute("value");
      if (val !== null) { s += `[value="${cssStr(val)}"]`; if (uniq(s, el)) return s; }
    }
    for (const attr of ["aria-label", "placeholder", "data-testid"]) {
      const v = el.getAttribute(attr);
      if (v) { const s = `${tag}[${attr}="${cssStr(v)}"]`; if (uniq(s, el)) return s; }
    }
    const parts = [];
    for (let e = el; e && e !== document.documentElement; e = e.parentElement) {
      if (e !== el && e.id && uniq("#" + CSS.escape(e.id), e)) {
        parts.unshift("#" + CSS.escape(e.id)); break;
      }
      let part = e.tagName.toLowerCase();
      const parent = e.parentElement;
      if (parent) {
        const same = [...parent.children].filter((c) => c.tagName === e.tagName);
        if (same.length > 1) part += `:nth-of-type(${same.indexOf(e) + 1})`;
      }
      parts.unshift(part);
    }
    return parts.join(" > ");
  };

  const listboxOf = (el) => {
    for (const id of ((el.getAttribute("aria-controls") || "") + " " +
                      (el.getAttribute("aria-owns") || "")).split(/\s+/)) {
      const e = id && document.getElementById(id);
      if (e) return e;
    }
    if (el.getAttribute("role") === "listbox") return el;
    return el.parentElement && el.parentElement.querySelector("[role=listbox]");
  };
  // Options of a listbox (role=option, else plain list items), with their index for nth().
  const optionSelector = (list) => list.querySelector("[role=option]") ? "[role=option]" : "li";
  const optionsOf = (list, onlyShown) => [...list.querySelectorAll(optionSelector(list))]
    .map((o, index) => ({index, value: o.dataset.value ?? o.getAttribute("value") ?? (o.id || norm(o.textContent)),
                         text: norm(o.textContent), selected: o.getAttribute("aria-selected") === "true",
                         shown: shown(o)}))
    .filter((o) => !onlyShown || o.shown);
  const errorish = (e) => e.getAttribute("role") === "alert" ||
    /(^|[\s_-])(error|errors|invalid|danger|invalid-feedback)([\s_-]|$)/i.test(e.getAttribute("class") || "");
  const errorText = (el) => {
    const em = el.getAttribute("aria-errormessage");
    for (const id of ((em || "") + " " + (el.getAttribute("aria-describedby") || "")).split(/\s+/)) {
      const e = id && document.getElementById(id);
      if (e && shown(e) && (errorish(e) || (em || "").split(/\s+/).includes(id))) {
        const t = norm(e.textContent);
        if (t) return t;
      }
    }
    if (el.name) {
      for (const e of document.querySelectorAll(`[data-error-for="${cssStr(el.name)}"]`)) {
        const t = norm(e.textContent);
        if (t && shown(e)) return t;
      }
    }
    let sib = (el.closest("label") || el).nextElementSibling;
    for (let k = 0; sib && k < 2; k++, sib = sib.nextElementSibling) {
      const t = norm(sib.textContent);
      if (errorish(sib) && t && shown(sib)) return t;
    }
    return "";
  };
  const problem = (el) => {
    if (el.willValidate && el.validity && !el.validity.valid) {
      const touched = el.type === "checkbox" || el.type === "radio" ? el.checked : !!el.value;
      // An untouched required field is not an error yet; anything else the page rejects is.
      if (el.validity.customError || !el.validity.valueMissing || touched) {
        return el.validationMessage;
      }
    }
    return errorText(el);
  };
"""

_STATE_BODY = r"""
  const tag = el.tagName.toLowerCase(), role = el.getAttribute("role") || "";
  const out = {tag, type: typeof el.type === "string" ? el.type : "", value: "",
               value_matches: false, checked: null, selected: [], selected_values: [],
               options: [], files: [], text: clean(textOf(el, null)), problem: "",
               focused: document.activeElement === el, listbox: "", option_selector: "",
               expanded: el.getAttribute("aria-expanded") === "true"};
  if (tag === "select") {
    out.options = [...el.options].map((o, index) => ({index, value: o.value, text: norm(o.text)}));
    out.selected = [...el.selectedOptions].map((o) => norm(o.text));
    out.selected_values = [...el.selectedOptions].map((o) => o.value);
    out.value = el.value;
  } else if (tag === "input" || tag === "textarea") {
    out.value_matches = expect !== null && el.value === expect;
    out.value = el.type === "password" ? "" : el.value;  // a password is compared, never read
    if (el.type === "checkbox" || el.type === "radio") out.checked = el.checked;
    if (el.type === "file") out.files = [...(el.files || [])].map((f) => f.name);
  } else if (["checkbox", "switch", "radio", "menuitemcheckbox", "menuitemradio"].includes(role)) {
    out.checked = el.getAttribute("aria-checked") === "true";
  } else if (el.isContentEditable) {
    out.value = norm(el.innerText);
    out.value_matches = expect !== null && out.value === expect;
  }
  const list = (tag === "input" && el.list) ? null : listboxOf(el);
  if (list && list !== el.parentElement && tag !== "select") {
    out.listbox = cssFor(list);
    out.option_selector = optionSelector(list);
    const opts = optionsOf(list, false);
    out.options = opts.filter((o) => o.shown);
    out.selected = opts.filter((o) => o.selected).map((o) => o.text);
    out.selected_values = opts.filter((o) => o.selected).map((o) => String(o.value));
  } else if (tag === "input" && el.list) {
    out.options = [...el.list.options].map((o, index) => ({index, value: o.value, text: norm(o.text || o.value)}));
  }
  // A custom select often keeps its value in a hidden input beside it.
  const hidden = el.parentElement && el.parentElement.querySelector("input[type=hidden]");
  out.hidden_value = hidden ? hidden.value : "";
  out.problem = norm(problem(el)).slice(0, 300);
  return out;
"""

STATE_JS = "(el, expect) => {\n" + HELPERS_JS + _STATE_BODY + "}"
"""``locator.evaluate(STATE_JS, expected)``: a control's live state (value, checked, selected
options, files, visible listbox options, the page's complaint about it) in one round trip."""
CSS_JS = "(el) => {\n" + HELPERS_JS + "  return {locator: cssFor(el), role: el.getAttribute('role') || " \
         "({A: 'link', BUTTON: 'button'}[el.tagName] || ''), text: clean(textOf(el, null))};\n}"
"""``locator.evaluate(CSS_JS)``: a unique CSS selector, role and text of an element found by text."""
