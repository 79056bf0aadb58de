"""The in-page script that perceives a page in one pass: controls, their human names, texts.

One ``page.evaluate`` pass reads everything (a round trip per control would cost more than
the whole pass). Each control gets the name a person would read — ``<label for>``, a wrapping
label, aria-label(ledby), a fieldset legend, a table header or first-column cell, the
placeholder, or the nearest text to its left or above — and a CSS selector that finds exactly
that element. Visible text blocks and the page's messages (alerts, errors) come with it.
"""

from __future__ import annotations

from tools.browser.element_js import HELPERS_JS

_BODY = r"""
  // ---- visible text blocks (text nodes grouped by their nearest non-inline ancestor)
  const displayCache = new Map();
  const isInline = (e) => {
    if (!displayCache.has(e)) displayCache.set(e, getComputedStyle(e).display === "inline");
    return displayCache.get(e);
  };
  const blocks = new Map();
  const walker = document.createTreeWalker(document.body || document.documentElement,
                                           NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const p = n.parentElement;
    if (!p || SKIP_TEXT.has(p.tagName) || !n.nodeValue.trim()) continue;
    range.selectNodeContents(n);
    const r = range.getBoundingClientRect();
    if (r.width <= 0 || r.height <= 0) continue;
    if (!shown(p)) continue;
    let b = p;
    while (b.parentElement && b !== document.body && isInline(b)) b = b.parentElement;
    let rec = blocks.get(b);
    if (!rec) { rec = {el: b, parts: [], l: 1e9, t: 1e9, r: -1e9, bt: -1e9}; blocks.set(b, rec); }
    rec.parts.push(n.nodeValue);
    rec.l = Math.min(rec.l, r.left); rec.t = Math.min(rec.t, r.top);
    rec.r = Math.max(rec.r, r.right); rec.bt = Math.max(rec.bt, r.bottom);
  }
  const texts = [];
  for (const rec of blocks.values()) {
    const text = norm(rec.parts.join(" "));
    if (!text) continue;
    const rect = {left: rec.l, top: rec.t, right: rec.r, bottom: rec.bt,
                  width: rec.r - rec.l, height: rec.bt - rec.t};
    const interactive = !!rec.el.closest(
      "button, a[href], [role=button], [role=link], [role=option], [role=listbox], " +
      "[role=combobox], .error, [role=alert]");
    texts.push({text: text.slice(0, 300), rect, interactive, el: rec.el});
  }

  // Nearest label-like text left of (same line) or just above a box.
  const nearby = (r, skip) => {
    let best = null, score = 1e9;
    for (const t of texts) {
      if (t.interactive || (skip && skip(t))) continue;
      const b = t.rect;
      const vOver = Math.min(b.bottom, r.bottom) - Math.max(b.top, r.top);
      if (b.right <= r.left + 4 && vOver > Math.min(b.height, r.height) * 0.5) {
        const d = r.left - b.right;
        if (d < 320 && d < score) { best = t; score = d; }
        continue;
      }
      const hOver = Math.min(b.right, r.right) - Math.max(b.left, r.left);
      const dy = r.top - b.bottom;
      if (dy >= -4 && dy < 64 && (hOver > 0 || Math.abs(b.left - r.left) < 40)) {
        const d = dy * 1.5 + Math.abs(b.left - r.left) * 0.2 + 8;
        if (d < score) { best = t; score = d; }
      }
    }
    return best;
  };
  const CONTROLS = "input, textarea, select, button";
  // A table form: the cell to the left (th or a plain text cell), else the column header.
  const tableLabel = (el) => {
    const cell = el.closest("td, th");
    if (!cell) return null;
    for (let prev = cell.previousElementSibling; prev; prev = prev.previousElementSibling) {
      if (prev.querySelector(CONTROLS)) break;
      const t = clean(textOf(prev, null));
      if (t) return [t, prev];
    }
    const table = cell.closest("table"), row = cell.parentElement;
    const head = table && (table.tHead ? table.tHead.rows[0] : table.rows[0]);
    if (head && head !== row) {
      const h = head.cells[cell.cellIndex];
      if (h && !h.querySelector(CONTROLS)) {
        const t = clean(textOf(h, null));
        if (t) return [t, h];
      }
    }
    return null;
  };

  const kindOf = (el) => {
    const tag = el.tagName.toLowerCase(), role = (el.getAttribute("role") || "").toLowerCase();
    const type = (el.getAttribute("type") || "").toLowerCase();
    if (tag === "input") {
      if (type === "hidden") return null;
      if (["submit", "button", "reset", "image"].includes(type)) return "button";
      if (type === "checkbox") return "checkbox";
      if (type === "radio") return "radio";
      if (type === "file") return "upload";
      if (["date", "datetime-local", "month", "week", "time"].includes(type)) return "date";
      if (type === "password") return "password";
      const ac = (el.getAttribute("aria-autocomplete") || "none").toLowerCase();
      if (role === "combobox" || el.hasAttribute("list") || ac !== "none") return "autocomplete";
      return "text_input";
    }
    if (tag === "textarea") return "textarea";
    if (tag === "select") return "select";
    if (role === "combobox") return "custom_select";
    if (role === "listbox") return "custom_select";
    if (["checkbox", "switch", "menuitemcheckbox"].includes(role)) return "checkbox";
    if (["radio", "menuitemradio"].includes(role)) return "radio";
    if (["button", "menuitem", "tab"].includes(role) || tag === "button" || tag === "summary") {
      return "button";
    }
    if (role === "textbox" || el.getAttribute("contenteditable") === "true" ||
        el.getAttribute("contenteditable") === "") return "textarea";
    if ((tag === "a" && el.hasAttribute("href")) || role === "link") return "link";
    return null;
  };
  const IMPLICIT = {a: "link", button: "button", textarea: "textbox", summary: "button"};
  const roleOf = (el, kind) => {
    const explicit = el.getAttribute("role");
    if (explicit) return explicit.split(/\s+/)[0];
    const tag = el.tagName.toLowerCase();
    if (tag === "select") return el.multiple || el.size > 1 ? "listbox" : "combobox";
    if (tag === "input") {
      const t = el.type;
      if (["submit", "button", "reset", "image"].includes(t)) return "button";
      if (t === "checkbox" || t === "radio") return t;
      if (t === "search") return el.hasAttribute("list") ? "combobox" : "searchbox";
      if (t === "number") return "spinbutton";
      if (["text", "email", "tel", "url", ""].includes(t)) {
        return el.hasAttribute("list") ? "combobox" : "textbox";
      }
      return "";
    }
    return IMPLICIT[tag] || "";
  };
  // Listboxes that belong to a combobox are read as that combobox's options.
  const owned = new Set();
  for (const c of document.querySelectorAll("[role=combobox], [aria-haspopup=listbox]")) {
    for (const id of ((c.getAttribute("aria-controls") || "") + " " +
                      (c.getAttribute("aria-owns") || "")).split(/\s+/)) {
      const e = id && document.getElementById(id);
      if (e) owned.add(e);
    }
  }

  const result = [];
  const seen = new Set();
  const cands = document.querySelectorAll(
    "input, textarea, select, button, a[href], summary, [role], [contenteditable]");
  for (const el of cands) {
    if (result.length >= opts.maxControls) break;
    const kind = kindOf(el);
    if (!kind) continue;
    if (kind === "custom_select" && el.getAttribute("role") === "listbox" && owned.has(el)) continue;
    if (el.closest("[aria-hidden=true]")) continue;
    // Nested interactive elements (a span role=button inside a link) are one control.
    let nested = false;
    for (let a = el.parentElement; a; a = a.parentElement) if (seen.has(a)) { nested = true; break; }
    if (nested) continue;
    let target = el, visible = shown(el);
    if (!visible && ["checkbox", "radio", "upload"].includes(kind) && el.labels) {
      // A visually hidden input styled through its label: the label is what is clicked.
      const l = [...el.labels].find(shown);
      if (l) { target = l; visible = true; }
    }
    if (!visible) continue;
    if (["button", "link"].includes(kind)) seen.add(el);
    const rect = target.getBoundingClientRect();
    const tag = el.tagName.toLowerCase();
    let label = "", source = "none", labelEl = null;
    const setLabel = (t, s, e) => { if (!label && clean(t)) { label = clean(t); source = s; labelEl = e; } };
    let option = "";
    if (kind === "checkbox" || kind === "radio") {
      // Own text first (男, Email, 本人已阅读并同意…), then the group's name.
      const lb = el.getAttribute("aria-labelledby");
      if (lb) option = clean(byIds(lb));
      if (!option && el.getAttribute("aria-label")) option = clean(el.getAttribute("aria-label"));
      if (!option && el.labels) for (const l of el.labels) { option = clean(textOf(l, el)); if (option) break; }
      if (!option && tag !== "input") option = clean(textOf(el, null));
      if (!option && el.nextSibling && el.nextSibling.nodeType === 3) option = clean(el.nextSibling.nodeValue);
      const name = el.getAttribute("name");
      const mates = name && el.form !== undefined
        ? [...document.querySelectorAll(`input[name="${cssStr(name)}"]`)].filter((m) => m.form === el.form)
        : [];
      const group = el.closest("[role=radiogroup], [role=group], fieldset");
      if (group) {
        const glb = group.getAttribute("aria-labelledby"), gal = group.getAttribute("aria-label");
        if (glb) setLabel(byIds(glb), "aria_labelledby", document.getElementById(glb.split(/\s+/)[0]));
        if (gal) setLabel(gal, "aria_label", null);
        const legend = group.tagName === "FIELDSET" && group.querySelector(":scope > legend");
        if (legend) setLabel(textOf(legend, null), "legend", legend);
      }
      if (!label && (mates.length > 1 || kind === "radio")) {
        const tl = tableLabel(el);
        if (tl) setLabel(tl[0], "table_header", tl[1]);
        if (!label) {
          const first = mates[0] || el;
          const anchor = (first.labels && first.labels[0]) || first;
          const optionEls = new Set(mates.flatMap((m) => [...(m.labels || [])]));
          const t = nearby(anchor.getBoundingClientRect(),
                           (t) => [...optionEls].some((l) => l.contains(t.el) || t.el.contains(l)));
          if (t) setLabel(t.text, "nearby_text", t.el);
        }
      }
      if (!label && option) {
        const own = el.labels && el.labels[0];
        label = option; source = own ? (own.contains(el) ? "wrapping_label" : "label_for") : "aria_label";
        labelEl = own || null;
      }
    } else {
      const lb = el.getAttribute("aria-labelledby");
      if (lb) setLabel(byIds(lb), "aria_labelledby", document.getElementById(lb.split(/\s+/)[0]));
      const al = el.getAttribute("aria-label");
      if (al) setLabel(al, "aria_label", null);
      if (el.labels) for (const l of el.labels) setLabel(textOf(l, el), l.contains(el) ? "wrapping_label" : "label_for", l);
      if (kind === "button" || kind === "link") {
        setLabel(textOf(el, null) || el.getAttribute("title") || el.value || "", "button_text", el);
      }
      if (!label && !["button", "link"].includes(kind)) {
        const tl = tableLabel(el);
        if (tl) setLabel(tl[0], "table_header", tl[1]);
      }
      if (!label && el.getAttribute("placeholder")) setLabel(el.getAttribute("placeholder"), "placeholder", null);
      if (!label && el.getAttribute("title")) setLabel(el.getAttribute("title"), "aria_label", null);
      if (!label && !["button", "link"].includes(kind)) {
        const t = nearby(rect, (t) => t.el.contains(el));
        if (t) setLabel(t.text, "nearby_text", t.el);
      }
    }
    let value = "", selected = [], options = [], checked = null;
    if (tag === "select") {
      options = [...el.options].map((o) => ({value: o.value, text: norm(o.text)}));
      selected = [...el.selectedOptions].map((o) => norm(o.text));
      value = el.value;
    } else if (kind === "custom_select" || kind === "autocomplete") {
      const list = listboxOf(el);
      const opts2 = list ? optionsOf(list, kind === "autocomplete") : [];
      if (kind === "autocomplete" && el.list) {
        for (const o of el.list.options) opts2.push({value: o.value, text: norm(o.text || o.value), selected: false});
      }
      options = opts2.map((o) => ({value: String(o.value), text: o.text}));
      selected = opts2.filter((o) => o.selected).map((o) => o.text);
      value = kind === "autocomplete" ? el.value : (selected[0] || clean(textOf(el, null)));
    } else if (kind === "checkbox" || kind === "radio") {
      checked = tag === "input" ? el.checked : el.getAttribute("aria-checked") === "true";
      value = tag === "input" ? el.value : "";
    } else if (kind === "upload") {
      value = [...(el.files || [])].map((f) => f.name).join(", ");
    } else if (kind === "password") {
      value = el.value ? "********" : "";  // never read a password out of the page
    } else if (tag === "input" || tag === "textarea") {
      value = el.value;
    } else if (kind === "textarea") {
      value = norm(el.innerText);
    }
    const disabled = el.matches(":disabled") || !!el.closest("[aria-disabled=true]");
    result.push({
      kind, tag, input_type: typeof el.type === "string" ? el.type : "",
      role: roleOf(el, kind), name: el.getAttribute("name") || "", id: el.id || "",
      label, label_source: source,
      label_bbox: labelEl && shown(labelEl) ? box(labelEl.getBoundingClientRect()) : null,
      placeholder: norm(el.getAttribute("placeholder")), value: String(value ?? ""), selected,
      checked, options, option_text: option,
      group: (kind === "radio" || kind === "checkbox") ? (el.getAttribute("name") || "") : "",
      multiple: !!el.multiple, href: tag === "a" ? (el.href || "") : "",
      form: el.form ? cssFor(el.form) : "",
      bbox: box(rect), visible, enabled: !disabled,
      required: !!el.required || el.getAttribute("aria-required") === "true",
      validation_message: norm(problem(el)).slice(0, 300),
      locator: cssFor(el),
    });
  }

  const messages = [];
  const mseen = new Set();
  for (const e of document.querySelectorAll(
      "[role=alert], [role=status], [aria-live=assertive], [class*=error], [class*=alert], " +
      "[class*=invalid], [class*=warning], [class*=danger], [class*=toast]")) {
    if (messages.length >= 50 || !shown(e) || e.querySelector(CONTROLS)) continue;
    if ([...mseen].some((m) => m.contains(e))) continue;
    const text = norm(e.textContent);
    if (!text) continue;
    mseen.add(e);
    const role = e.getAttribute("role");
    const kind = role === "status" ? "status" : role === "alert" ? "alert" : "error";
    if (kind === "error" && !errorish(e) && !/alert|warning|toast/i.test(e.getAttribute("class") || "")) continue;
    messages.push({text: text.slice(0, 300), bbox: box(e.getBoundingClientRect()), kind});
  }
  const doc = document.documentElement;
  return {
    url: location.href, title: document.title, controls: result,
    texts: texts.slice(0, opts.maxTexts).map((t) => ({text: t.text, bbox: box(t.rect), kind: "text"})),
    messages,
    viewport: [window.innerWidth, window.innerHeight],
    page_size: [Math.max(doc.scrollWidth, window.innerWidth), Math.max(doc.scrollHeight, window.innerHeight)],
  };
"""

PERCEPTION_JS = "(opts) => {\n" + HELPERS_JS + _BODY + "}"
"""``page.evaluate(PERCEPTION_JS, {"maxControls": …, "maxTexts": …})``: the raw snapshot dict
(controls, texts, messages, viewport and page size) that ``perceive.snapshot`` validates."""
