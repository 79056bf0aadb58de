"""Perception of a live page: its controls, their human names, texts, messages and a screenshot.

One ``page.evaluate`` pass reads everything (a round trip per control would cost more than
the whole pass). Each control gets the name a person would read — ``<label for>``, a wrapping
label, aria-label(ledby), a fieldset legend, a table header or first-column cell, the
placeholder, or the nearest text to its left or above — and a CSS selector that finds exactly
that element. :func:`to_elements` turns the controls into :class:`tools.common.schema.Element` records
so that the same data-mapping rules map user data onto a page as onto a screenshot, and
:func:`fingerprint` lets a caller skip inference when the screen has not changed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from tools.common.masking import SENSITIVE_KEYS, mask_text, mask_value
from tools.common.schema import Box, Element, ElementKind
from tools.forms.lexicon import match_label, normalize_label

if TYPE_CHECKING:
    from playwright.async_api import Page

ControlKind = Literal[
    "text_input", "textarea", "select", "checkbox", "radio", "button", "upload", "date",
    "link", "password", "custom_select", "autocomplete",
]
LabelSource = Literal[
    "label_for", "wrapping_label", "aria_label", "aria_labelledby", "legend", "placeholder",
    "table_header", "nearby_text", "button_text", "none",
]
# How a page control is seen by the image-side schema (tools.common.schema.ElementKind).
_AS_ELEMENT: dict[str, ElementKind] = {
    "link": "button", "password": "text_input", "custom_select": "select",
    "autocomplete": "text_input",
}


class PageOption(BaseModel):
    """One choice of a select or listbox."""

    value: str = Field(description="What the page submits (value attribute, data-value …).")
    text: str = Field(description="What the user reads.")


class PageText(BaseModel):
    """A visible block of text (or a message) and where it is on the screenshot."""

    text: str
    bbox: Box
    kind: Literal["text", "alert", "error", "status"] = "text"


class PageControl(BaseModel):
    """One interactive element of the page, named as a person would name it."""

    index: int = Field(description="Position in PageSnapshot.controls (and in to_elements).")
    kind: ControlKind
    tag: str
    input_type: str = Field(default="", description="type attribute / property (text, submit …).")
    role: str = Field(default="", description="ARIA role, explicit or implicit (for get_by_role).")
    name: str = ""
    id: str = ""
    label: str = Field(default="", description="The best human name (group name for radios).")
    label_source: LabelSource = "none"
    label_bbox: Box | None = None
    placeholder: str = ""
    value: str = Field(default="", description="Current value; passwords are never read.")
    selected: list[str] = Field(default_factory=list, description="Selected option texts.")
    checked: bool | None = None
    options: list[PageOption] = Field(default_factory=list)
    option_text: str = Field(default="", description="A radio/checkbox's own label (e.g. 男).")
    group: str = Field(default="", description="Radio/checkbox group (its name attribute).")
    multiple: bool = False
    href: str = ""
    form: str = Field(default="", description="Selector of the form it belongs to.")
    bbox: Box
    visible: bool = True
    enabled: bool = True
    required: bool = False
    validation_message: str = Field(
        default="", description="What the page says is wrong with it (validationMessage or the "
                                "error text shown next to it).")
    locator: str = Field(description="A Playwright selector matching exactly this control.")


class PageSnapshot(BaseModel):
    """What the page shows now."""

    url: str
    title: str
    controls: list[PageControl]
    texts: list[PageText] = Field(default_factory=list)
    messages: list[PageText] = Field(default_factory=list,
                                     description="Alerts, validation and error texts shown.")
    viewport: tuple[int, int] = (0, 0)
    page_size: tuple[int, int] = (0, 0)
    screenshot: bytes | None = Field(default=None, exclude=True, repr=False,
                                     description="Full-page PNG; bboxes are its pixels.")

    def masked(self) -> dict[str, Any]:
        """The snapshot as a dict with personal values masked (ID numbers, phones, e-mails,
        names by their field's label; anything ID- or phone-shaped in texts): for logs and
        traces. Password values are never read in the first place."""
        data = self.model_dump()
        for c in data["controls"]:
            key = match_label(c["label"])[0]
            mask = (lambda v, k=key: mask_value(k, v)) if key in SENSITIVE_KEYS else mask_text
            c["value"] = mask(c["value"])
            c["selected"] = [mask(v) for v in c["selected"]]
        for t in data["texts"] + data["messages"]:
            t["text"] = mask_text(t["text"])
        return data

    def __repr_args__(self) -> Any:
        masked = self.masked()
        return [(k, masked.get(k, v) if k else v) for k, v in super().__repr_args__()]


# Helpers shared by the snapshot pass and the per-control state read of page_actions.
_HELPERS = r"""
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

_JS = "(opts) => {\n" + _HELPERS + _BODY + "}"

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

STATE_JS = "(el, expect) => {\n" + _HELPERS + _STATE_BODY + "}"
CSS_JS = "(el) => {\n" + _HELPERS + "  return {locator: cssFor(el), role: el.getAttribute('role') || " \
         "({A: 'link', BUTTON: 'button'}[el.tagName] || ''), text: clean(textOf(el, null))};\n}"
"""``locator.evaluate(CSS_JS)``: a unique CSS selector, role and text of an element found by text."""
"""``locator.evaluate(STATE_JS, expected)``: a control's live state (value, checked, selected
options, files, visible listbox options, the page's complaint about it) in one round trip."""


def _fix_box(b: list[int] | None) -> list[int] | None:
    """Boxes must have x2 > x1 and y2 > y1 (a 0-px text line still needs a 1-px box)."""
    if b is None:
        return None
    x1, y1, x2, y2 = (int(v) for v in b)
    return [x1, y1, max(x2, x1 + 1), max(y2, y1 + 1)]


async def snapshot(page: Page, *, screenshot: bool = True, max_controls: int = 400,
                   max_texts: int = 400) -> PageSnapshot:
    """Perceive the page as it is now (one DOM pass, plus a full-page PNG unless told not to)."""
    raw: dict[str, Any] = await page.evaluate(
        _JS, {"maxControls": max_controls, "maxTexts": max_texts})
    controls = []
    for i, c in enumerate(raw["controls"]):
        c["bbox"] = _fix_box(c["bbox"])
        c["label_bbox"] = _fix_box(c["label_bbox"])
        controls.append(PageControl(index=i, **c))
    for t in raw["texts"] + raw["messages"]:
        t["bbox"] = _fix_box(t["bbox"])
    png = await page.screenshot(full_page=True, type="png") if screenshot else None
    return PageSnapshot(
        url=raw["url"], title=raw["title"], controls=controls,
        texts=[PageText(**t) for t in raw["texts"]],
        messages=[PageText(**t) for t in raw["messages"]],
        viewport=tuple(raw["viewport"]), page_size=tuple(raw["page_size"]), screenshot=png,
    )


def name_parts(name: str) -> list[str]:
    """A name and its halves: "提交 / Submit" → [whole, "提交", "Submit"]; "下一步 Next" too."""
    parts = [name]
    pieces = [p for p in re.split(r"\s*[/|｜]\s*", name) if p.strip()]
    if len(pieces) == 1:  # "下一步 Next", "北京 Beijing": a CJK run then a Latin run
        pieces = [p for p in re.split(r"(?<=[\u3400-\u9fff）)])\s+(?=[A-Za-z])|"
                                      r"(?<=[A-Za-z.)])\s+(?=[\u3400-\u9fff])", name) if p.strip()]
    if len(pieces) > 1:
        parts.extend(p.strip() for p in pieces)
    return parts


def mapping_label(label: str, user_labels: Iterable[str] = ()) -> str:
    """The part of a bilingual label ("收货人 / Name") the field lexicon knows best (the whole
    label when no part is better), so a bilingual page maps like a monolingual one. A part
    equal to a label the user wrote ("收货人: 孙悦") wins over the lexicon."""
    parts = name_parts(label)
    if len(parts) == 1:
        return label
    wanted = {normalize_label(u) for u in user_labels}
    for p in parts[1:]:
        if normalize_label(p) in wanted:
            return p
    scored = [(match_label(p)[1] if match_label(p)[0] else 0.0, -i, p)
              for i, p in enumerate(parts)]
    return max(scored)[2]


def element_kind(control: PageControl) -> ElementKind:
    """The image-side kind of a page control (a link is a button, a custom select a select)."""
    kind: Any = control.kind
    return _AS_ELEMENT.get(kind, kind)  # type: ignore[no-any-return]


def to_elements(snap: PageSnapshot, user_labels: Iterable[str] = ()) -> list[Element]:
    """One Element per control, same order (``elements[i]`` is ``snap.controls[i]``).

    Radios and checkboxes carry the group's name as ``label`` and their own text as
    ``option``, exactly as the layout detector reports them on a screenshot, so
    :func:`tools.forms.mapping.map_fields` works unchanged on a live page. A bilingual label keeps
    the half the lexicon knows, or the half equal to one of ``user_labels`` (the user's own
    names for their values, ``UserDatum.raw_label``; see :func:`mapping_label`).
    """
    out = []
    for c in snap.controls:
        kind = element_kind(c)
        out.append(Element(
            kind=kind, bbox=c.bbox, label=mapping_label(c.label, user_labels) or None,
            label_bbox=c.label_bbox,
            option=c.option_text or None if kind in ("radio", "checkbox") else None,
            placeholder=mapping_label(c.placeholder, user_labels) or None,
            editable=c.enabled and kind != "button", confidence=1.0, source="dom",
        ))
    return out


def fingerprint(snap: PageSnapshot, *, values: bool = True) -> str:
    """A short hash of what is visible: controls (kind, name, state, coarse place) and texts.

    Equal fingerprints mean an unchanged screen, so the caller need not perceive or infer
    again. ``values=False`` ignores what is typed/ticked: it changes only when the page's
    structure does (navigation, a new section, a dialog).
    """
    parts: list[Any] = [snap.url.split("#")[0]]
    for c in snap.controls:
        item: list[Any] = [c.kind, c.label, c.option_text, c.enabled,
                           [v // 8 for v in c.bbox], [o.text for o in c.options]]
        if values:
            item += [c.value, c.checked, c.selected, c.validation_message]
        parts.append(item)
    parts.append([t.text for t in snap.texts if values or not _is_value_text(t, snap)])
    parts.append([m.text for m in snap.messages])
    blob = json.dumps(parts, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def _is_value_text(text: PageText, snap: PageSnapshot) -> bool:
    # The text a custom select shows is its value: not part of the page's structure.
    return any(c.kind == "custom_select" and c.bbox == text.bbox for c in snap.controls) or any(
        c.kind == "custom_select" and text.text == c.value for c in snap.controls)
