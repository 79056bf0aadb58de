// vlcrew web page: plain JS, no framework, nothing fetched from outside this server.
// Talks to /api/runs and /api/threads/... (server-sent events) and renders the plan, the
// reasoning, the fields over the screenshot, approval, the result and follow-up chat.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const MAX_BYTES = 20 * 1024 * 1024;

  const AGENTS = {
    ingest: "Read the image", planner: "Make a plan", ocr: "Read the text",
    gui: "Find the fields", data_mapping: "Match your data", vision: "Look at the image",
    feedback: "Check and draw", executor: "Act on the page",
  };
  const AGENTS_ZH = {
    ingest: "读取图片", planner: "制定计划", ocr: "文字识别", gui: "查找控件",
    data_mapping: "匹配数据", vision: "图像理解", feedback: "校验与标注", executor: "执行",
  };
  const ACTIONS = {
    input_text: "type 输入", select_option: "choose 选择", check: "tick 勾选",
    uncheck: "untick 取消", upload_file: "upload 上传", click: "click 点击",
  };
  const TASKS = {
    form_fill: "fill a form 填表", read_text: "read text 识别文字", describe: "describe 描述",
    update: "update the fill 更新", question: "answer a question 回答问题",
  };
  const DOWNLOADS = [
    ["answer_url", "Answer (JSON)", "答案 — everything above, for programs", "answer.json"],
    ["values", "Values (JSON)", "字段值 — label → value", "values.json"],
    ["playwright", "Playwright script", "fills a web form by its labels", "fill_playwright.py"],
    ["pyautogui", "pyautogui script", "types at screen coordinates", "fill_pyautogui.py"],
    ["overlay", "Overlay image (PNG)", "填写示意图", "overlay.png"],
  ];

  const S = {
    thread: null, files: [], images: [], fields: [], missing: [], problems: [],
    answer: null, busy: false, paused: false, edits: {}, ended: false, poll: 0, rejected: false,
  };

  class UserError extends Error {}
  const NET = "Could not reach the vlcrew server. Is it still running? 无法连接服务器，请确认服务仍在运行。";

  // ---------- small helpers ----------
  function el(tag, attrs = {}, ...kids) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const kid of kids) if (kid !== null && kid !== undefined) node.append(kid);
    return node;
  }
  function svg(tag, attrs = {}) {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    return node;
  }
  function showError(text) {
    $("error-text").textContent = text;
    $("error").hidden = false;
  }
  function clearError() { $("error").hidden = true; }
  function setStatus(text, kind) {
    const s = $("status");
    s.textContent = text;
    s.className = "status " + (kind || "");
  }
  function setHow(active) {
    for (let i = 1; i <= 3; i++) {
      const li = $("how-" + i);
      li.classList.toggle("active", i === active);
      li.classList.toggle("done", i < active);
    }
  }
  function say(role, text) {
    if (!text) return;
    const log = $("log");
    const lines = String(text).split("\n");
    if (role === "assistant" && lines.length > 3) {
      // A long reply (the field list) folds under its first line; the table shows it anyway.
      log.append(el("li", { class: role }, lines[0],
        el("details", {}, el("summary", { text: `details (${lines.length - 1} lines) 详情` }),
          lines.slice(1).join("\n"))));
    } else {
      log.append(el("li", { class: role, text }));
    }
    log.scrollTop = log.scrollHeight;
  }
  function setBusy(busy) {
    S.busy = busy;
    $("submit").disabled = busy;
    $("approve").disabled = busy || !S.paused;
    $("reject").disabled = busy || !S.paused;
    $("reject-confirm").disabled = busy;
    const chatOk = !busy && !S.paused && !!S.thread;
    $("chat-send").disabled = !chatOk;
    $("chat-input").disabled = !chatOk;
    $("chat-input").placeholder = S.paused
      ? "Approve or reject the fields above first 请先确认或拒绝上面的字段"
      : "Ask or change something — 例：把手机号改成13912345678 / what did you put in 身份证号码?";
  }
  function fieldImage(f) { return f.image_id || "img1"; }

  // ---------- step 1: screenshot input ----------
  function readFile(file) {
    return new Promise((resolve, reject) => {
      if (!file.type.startsWith("image/")) {
        reject(new UserError(`“${file.name}” is not an image. Please choose a PNG or JPEG screenshot. 请选择图片文件。`));
        return;
      }
      if (file.size > MAX_BYTES) {
        reject(new UserError(`“${file.name}” is larger than 20 MB. Please use a smaller screenshot. 图片过大。`));
        return;
      }
      const reader = new FileReader();
      reader.onerror = () => reject(new UserError(`Could not read “${file.name}”. 无法读取文件。`));
      reader.onload = () => {
        const img = new Image();
        img.onload = () => resolve({
          name: file.name || "pasted image", dataUri: reader.result,
          width: img.naturalWidth, height: img.naturalHeight,
        });
        img.onerror = () => reject(new UserError(`“${file.name}” could not be opened as an image. 图片无法打开。`));
        img.src = reader.result;
      };
      reader.readAsDataURL(file);
    });
  }
  async function addFiles(list) {
    const files = Array.from(list || []).filter(Boolean);
    if (!files.length) return;
    clearError();
    try {
      S.files = await Promise.all(files.map(readFile));
    } catch (e) {
      showError(e.message);
      return;
    }
    renderThumbs();
  }
  function renderThumbs() {
    const thumbs = $("thumbs");
    thumbs.replaceChildren(...S.files.map((f) => el("figure", {},
      el("img", { src: f.dataUri, alt: "Screenshot: " + f.name }),
      el("figcaption", { text: `${f.name} · ${f.width}×${f.height}` }))));
    thumbs.hidden = !S.files.length;
    $("drop-empty").hidden = !!S.files.length;
  }

  // ---------- server-sent events ----------
  async function httpMessage(res) {
    let detail = "";
    try {
      const body = await res.clone().json();
      const e = body.error ?? body.detail ?? body.message;
      detail = typeof e === "string" ? e : (e && e.message) || JSON.stringify(body);
    } catch {
      detail = (await res.text().catch(() => "")).slice(0, 300);
    }
    if (res.status === 401) return "This page is not signed in: open the link `vlcrew serve` printed (it ends in ?token=…). 请打开 vlcrew serve 打印的链接。";
    if (res.status === 403) return "The server refused a request from another site. 服务器拒绝了来自其他网站的请求。" + (detail ? ` (${detail})` : "");
    if (res.status === 413) return "The screenshot is too large for the server. 图片过大。" + (detail ? ` (${detail})` : "");
    if (res.status === 404) return "This conversation was not found on the server (it may have been deleted). 找不到该会话。" + (detail ? ` (${detail})` : "");
    if (res.status >= 500) return "The server ran into a problem. 服务器出错。" + (detail ? ` (${detail})` : "");
    return "The server could not accept this request: " + (detail || res.statusText);
  }

  async function stream(url, body) {
    let res;
    try {
      res = await fetch(url, {
        method: "POST",
        credentials: "same-origin", // the HttpOnly token cookie; the server wants JSON only
        headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
        body: JSON.stringify(body),
      });
    } catch {
      throw new UserError(NET);
    }
    if (!res.ok) throw new UserError(await httpMessage(res));
    if (!(res.headers.get("content-type") || "").includes("text/event-stream")) {
      throw new UserError("The server answered in an unexpected format. 服务器返回格式异常。");
    }
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = "";
    for (;;) {
      let chunk;
      try {
        chunk = await reader.read();
      } catch {
        throw new UserError("The connection to the server was lost. 与服务器的连接中断。");
      }
      if (chunk.done) break;
      buf += chunk.value;
      // Normalise CRLF (sse-starlette sends \r\n) but keep a trailing \r: its \n may follow.
      const cut = buf.endsWith("\r") ? buf.length - 1 : buf.length;
      buf = buf.slice(0, cut).replace(/\r\n?/g, "\n") + buf.slice(cut);
      let i;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        dispatch(buf.slice(0, i));
        buf = buf.slice(i + 2);
      }
    }
    if (buf.trim()) dispatch(buf.replace(/\r/g, ""));
  }

  function dispatch(block) {
    let event = "message";
    const data = [];
    for (const line of block.split("\n")) {
      if (!line || line.startsWith(":")) continue;  // comments are keep-alive pings
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") event = value;
      else if (field === "data") data.push(value);
    }
    if (!data.length) return;
    let payload;
    try {
      payload = JSON.parse(data.join("\n"));
    } catch {
      payload = { text: data.join("\n") };
    }
    const handler = HANDLERS[event];
    if (handler) handler(payload || {});
  }

  const HANDLERS = {
    thread(d) {
      S.thread = d.thread_id;
      $("thread-tag").textContent = "thread " + d.thread_id;
      history.replaceState(null, "", "#thread=" + encodeURIComponent(d.thread_id));
    },
    plan(d) {
      $("task").textContent = TASKS[d.task] || d.task || "";
      $("steps").replaceChildren(...(d.steps || []).map((s) => stepItem(s.id, s.agent, s.instruction)));
    },
    reasoning(d) {
      const pre = $("reasoning");
      pre.textContent += d.text || "";
      $("reasoning-len").textContent = `(${pre.textContent.length} characters)`;
      pre.scrollTop = pre.scrollHeight;
    },
    step(d) {
      let li = $("steps").querySelector(`li[data-step="${CSS.escape(d.step)}"]`);
      if (!li) {
        li = stepItem(d.step, d.agent, "");
        $("steps").append(li);
      }
      li.className = d.status === "started" ? "started" : d.status === "failed" ? "failed" : "done";
      const meta = [];
      if (d.seconds !== undefined && d.seconds !== null) meta.push(`${Number(d.seconds).toFixed(1)} s`);
      if (d.backend) meta.push(d.backend);
      li.querySelector(".meta").textContent = meta.join(" · ");
      const msg = li.querySelector(".msg");
      msg.textContent = d.message || "";
      msg.hidden = !d.message;
      if (d.status === "started") setStatus(`Working: ${AGENTS[d.agent] || d.agent}… 处理中`, "running");
    },
    approval(d) {
      S.paused = true;
      S.fields = d.fields || [];
      S.missing = d.missing || [];
      S.problems = d.problems || [];
      if (d.images && d.images.length) S.images = d.images;
      S.edits = {};
      $("question").textContent = d.question || "Please check these values before anything is used. 请核对以下内容。";
      $("work-name").textContent = "Check the fields ";
      for (const li of $("steps").querySelectorAll("li.pending")) {
        li.querySelector(".meta").textContent = "after your approval 确认后";
      }
      renderReview(true);
      setHow(2);
      setStatus("Waiting for your approval 等你确认", "waiting");
    },
    answer(d) {
      S.paused = false;
      S.answer = d;
      S.fields = d.fields || [];
      S.missing = d.missing || [];
      S.problems = [];
      S.edits = {};
      $("question").textContent = "";
      $("work-name").textContent = "The fields ";
      if (!$("steps").children.length && Array.isArray(d.plan)) {
        // Reopened thread: the answer carries the plan with how each step ended.
        $("task").textContent = TASKS[d.task] || d.task || "";
        $("steps").replaceChildren(...d.plan.map((p) => {
          const li = stepItem(p.id, p.agent, p.instruction);
          li.className = p.status === "failed" ? "failed" : p.status === "done" ? "done" : "pending";
          li.querySelector(".meta").textContent = [p.seconds != null ? `${Number(p.seconds).toFixed(1)} s` : "", p.backend || ""].filter(Boolean).join(" · ");
          return li;
        }));
      }
      renderReview(false);
      renderResult(d);
      setHow(3);
      $("result").scrollIntoView({ behavior: "smooth", block: "start" });
    },
    message(d) { say("assistant", d.text); },
    error(d) {
      const text = d.message || "Something went wrong. 出错了。";
      showError(text);
      say("error", text);
    },
    end(d) {
      S.ended = true;
      if (d.status === "interrupted") setStatus("Waiting for your approval 等你确认", "waiting");
      else if (d.status === "error") setStatus("Stopped with an error 出错停止", "error");
      else setStatus("Done 完成", "done");
      for (const li of $("steps").querySelectorAll("li.started")) li.className = d.status === "error" ? "failed" : "done";
    },
  };

  function stepItem(id, agent, instruction) {
    const name = AGENTS[agent] || agent || id;
    return el("li", { class: "pending", "data-step": id },
      el("span", { class: "icon", "aria-hidden": "true" }),
      el("span", { class: "agent", text: `${name}`, title: `${id} · ${agent} · ${AGENTS_ZH[agent] || ""}` }),
      el("span", { class: "instr", text: instruction || AGENTS_ZH[agent] || "" }),
      el("span", { class: "meta" }),
      el("span", { class: "msg", hidden: true }));
  }

  // ---------- step 2: fields over the screenshot + table ----------
  function stateOf(f) {
    if (f.value === undefined || f.value === null || f.value === "") return "missing";
    if (f.valid === false) return "bad";
    if (f.valid === true) return "ok";
    return "norule";
  }
  function problemsFor(f) {
    const out = [];
    if (f.valid === false && f.message) out.push(f.message);
    for (const p of S.problems) {
      // A problem naming the field is shown on its row, unless it repeats the field's message.
      if (f.label && p.includes(f.label) && !out.some((o) => p.includes(o))) out.push(p);
    }
    return out;
  }
  function imagesToShow() {
    if (S.images.length) return S.images;
    // Before the server names its images, the uploaded files stand in (img1, img2, …).
    return S.files.map((f, i) => ({ id: "img" + (i + 1), url: f.dataUri, width: f.width, height: f.height }));
  }

  function renderReview(editable) {
    $("review").hidden = false;
    const general = S.problems.filter((p) => !S.fields.some((f) => f.label && p.includes(f.label)));
    const problems = $("problems");
    problems.hidden = !S.problems.length;
    problems.replaceChildren(
      el("b", { text: "Some values need another look 部分内容有误：" }),
      el("ul", {}, ...(general.length ? general : ["See the red rows below. 见下方红色行。"]).map((p) => el("li", { text: p }))));
    renderViewers();
    renderTable(editable);
    $("legend-missing").hidden = !S.fields.some((f) => stateOf(f) === "missing");
    $("legend-bad").hidden = !S.fields.some((f) => stateOf(f) === "bad");
    const miss = $("missing");
    miss.hidden = !S.missing.length;
    $("missing-count").textContent = String(S.missing.length);
    $("missing-how").textContent = editable
      ? "Type a value in its row above, or leave it empty. 可在上表中填写，或留空。"
      : "Tell the assistant below, e.g. “国籍是中国”. 可在下方对话中补充。";
    $("approve-bar").hidden = !editable;
    $("reject-box").hidden = true;
    updateApproveLabel();
    setBusy(S.busy);
  }

  function renderViewers() {
    const imgs = imagesToShow();
    $("viewers").replaceChildren(...imgs.map((im, k) => {
      const box = el("div", { class: "viewer", "data-image": im.id });
      box.append(el("img", { src: im.url, alt: `Screenshot ${k + 1} with the fields numbered`, width: im.width, height: im.height }));
      const w = im.width || 1000, h = im.height || 1000;
      const layer = svg("svg", { viewBox: `0 0 ${w} ${h}`, role: "img", "aria-label": "Numbered field boxes" });
      const fs = Math.max(13, Math.round(w / 60));
      S.fields.forEach((f, i) => {
        if (imgs.length > 1 && fieldImage(f) !== im.id) return;
        if (!Array.isArray(f.bbox) || f.bbox.length !== 4) return;
        const [x1, y1, x2, y2] = f.bbox;
        const g = svg("g", { class: "box " + stateOf(f), "data-i": i });
        const title = svg("title");
        title.textContent = `${i + 1}. ${f.label}: ${f.value || "(no value)"}`;
        g.append(title, svg("rect", { class: "frame", x: x1, y: y1, width: x2 - x1, height: y2 - y1, rx: 2 }));
        const label = String(i + 1);
        const bw = fs * (0.75 + 0.62 * label.length), bh = fs * 1.35;
        // Badge inside the right end of wide boxes (value text sits at the left); above small ones.
        let bx, by;
        if (x2 - x1 >= bw * 3 && y2 - y1 >= bh * 0.8) {
          bx = x2 - bw - 3; by = y1 + (y2 - y1 - bh) / 2;
        } else {
          bx = x1 + (x2 - x1 - bw) / 2; by = Math.max(0, y1 - bh - 2);
        }
        g.append(svg("rect", { class: "badge", x: bx, y: by, width: bw, height: bh, rx: bh / 4 }));
        const t = svg("text", { x: bx + bw / 2, y: by + bh / 2, "font-size": fs, "text-anchor": "middle", "dominant-baseline": "central" });
        t.textContent = label;
        g.append(t);
        g.addEventListener("mouseenter", () => hot(i, true));
        g.addEventListener("mouseleave", () => hot(i, false));
        g.addEventListener("click", () => {
          const input = document.querySelector(`#fields tr[data-i="${i}"] input`);
          if (input) { input.focus(); input.scrollIntoView({ block: "nearest" }); }
        });
        layer.append(g);
      });
      box.append(layer);
      return box;
    }));
  }

  function hot(i, on) {
    for (const node of document.querySelectorAll(`[data-i="${i}"]`)) node.classList.toggle("hot", on);
  }

  function renderTable(editable) {
    const rows = S.fields.map((f, i) => {
      const state = stateOf(f);
      const input = el("input", {
        type: "text", value: f.value ?? "", "aria-label": `Value for ${f.label}${f.option && f.option !== f.label ? " (" + f.option + ")" : ""}`,
        readonly: !editable, "data-label": f.label,
      });
      input.addEventListener("input", () => {
        const changed = input.value !== (f.value ?? "");
        input.classList.toggle("edited", changed);
        if (changed) S.edits[f.label] = input.value;
        else delete S.edits[f.label];
        updateApproveLabel();
      });
      const probs = problemsFor(f);
      const valueCell = el("td", { class: "value" }, input,
        ...probs.map((p) => el("div", { class: "problem", role: "alert", text: "✗ " + p })));
      const conf = Math.round((f.confidence ?? 0) * 100);
      const check = f.valid === true ? el("span", { class: "ok", text: "✓ valid 有效" })
        : f.valid === false ? el("span", { class: "bad", text: "✗ invalid 有误", title: f.message || "" })
          : el("span", { class: "none", text: state === "missing" ? "no value 缺少" : "— no rule 无规则" });
      const tr = el("tr", { class: state, "data-i": i, "data-label": f.label },
        el("td", { class: "n" }, el("span", { text: String(i + 1) })),
        el("td", { class: "label" }, f.label,
          f.option && f.option !== f.label && f.option !== f.value ? el("span", { class: "opt", text: "option: " + f.option }) : null),
        valueCell,
        el("td", { class: "action", text: ACTIONS[f.action] || f.action || "" }),
        el("td", { class: "conf", title: "How sure the crew is that this box is this field" },
          el("span", { class: "bar" + (conf < 60 ? " low" : "") }, (() => { const b = el("i"); b.style.width = conf + "%"; return b; })()),
          `${conf}%`),
        el("td", { class: "check" }, check));
      tr.addEventListener("mouseenter", () => hot(i, true));
      tr.addEventListener("mouseleave", () => hot(i, false));
      return tr;
    });
    // Labels with no value are rows too: typing a value fills the field (sent as an edit).
    const missingRows = S.missing.map((label) => {
      const input = el("input", {
        type: "text", value: "", "aria-label": `Value for ${label} (not given yet)`,
        placeholder: editable ? "type to fill 可填写" : "not given 未提供",
        readonly: !editable, "data-label": label,
      });
      input.addEventListener("input", () => {
        input.classList.toggle("edited", !!input.value);
        if (input.value) S.edits[label] = input.value;
        else delete S.edits[label];
        updateApproveLabel();
      });
      const probs = S.problems.filter((p) => p.includes(label));
      return el("tr", { class: "missing", "data-label": label },
        el("td", { class: "n" }, el("span", { text: "–", title: "No box: nothing to fill yet" })),
        el("td", { class: "label", text: label }),
        el("td", { class: "value" }, input,
          ...probs.map((p) => el("div", { class: "problem", role: "alert", text: "✗ " + p }))),
        el("td", { class: "action", text: "—" }),
        el("td", { class: "conf", text: "—" }),
        el("td", { class: "check" }, el("span", { class: "none", text: "no value 缺少" })));
    });
    $("fields").tBodies[0].replaceChildren(...rows, ...missingRows);
  }

  function updateApproveLabel() {
    const n = Object.keys(S.edits).length;
    $("approve").replaceChildren(n
      ? `Approve with ${n} change${n > 1 ? "s" : ""} `
      : "Approve ", el("span", { class: "zh", text: n ? `确认（含 ${n} 处修改）` : "确认" }));
  }

  // ---------- step 3: result ----------
  function renderResult(a) {
    $("result").hidden = false;
    const urls = a.urls || {};
    const overlay = urls.overlay || Object.entries(urls).find(([k]) => k.startsWith("overlay"))?.[1];
    const fig = $("overlay").closest("figure");
    fig.hidden = !overlay;
    if (overlay) {
      // A fresh query string so a follow-up's redrawn overlay is not served from cache.
      const src = overlay + (overlay.includes("?") ? "&" : "?") + "v=" + Date.now();
      $("overlay").src = src;
      $("overlay-link").href = overlay;
    }
    $("backend-tag").textContent = a.backend ? "engine: " + a.backend : "";
    $("suggestion").textContent = a.suggestion || "";
    const text = $("answer-text");
    text.textContent = a.text || "";
    text.hidden = !a.text;
    const warn = [...(a.warnings || []).map((w) => el("li", { text: w })),
      ...(a.errors || []).map((e) => el("li", { class: "err", text: typeof e === "string" ? e : e.message }))];
    $("warnings").replaceChildren(...warn);
    const links = [];
    const all = { ...urls, answer_url: a.answer_url || urls.answer_url };
    for (const [key, title, what, file] of DOWNLOADS) {
      const href = all[key];
      if (!href) continue;
      links.push(el("li", {}, el("a", { href, download: file, "data-kind": key },
        el("span", { text: "⬇ " + title }), el("span", { class: "what", text: what }))));
    }
    const none = S.rejected
      ? "You rejected the fill, so nothing was written. Change the request or the values and try again. 已拒绝，未生成文件。"
      : "No files were written for this answer. 本次没有生成文件。";
    $("downloads").replaceChildren(...(links.length ? links : [el("li", { class: "hint", text: none })]));
    $("rejected-note").hidden = !S.rejected;
  }

  // ---------- actions ----------
  async function run(url, body) {
    clearError();
    S.ended = false;
    setBusy(true);
    setStatus("Working… 处理中", "running");
    try {
      await stream(url, body);
      if (!S.ended) {
        // The stream closed early: ask the server where the thread stands.
        if (S.thread) await loadThread(S.thread, false);
        if (!S.ended) setStatus("The connection closed before the run finished 连接提前关闭", "error");
      }
    } catch (e) {
      const text = e instanceof UserError ? e.message : "Something went wrong in this page: " + e.message;
      showError(text);
      setStatus("Stopped 已停止", "error");
    } finally {
      setBusy(false);
    }
  }

  async function submitRun(ev) {
    ev.preventDefault();
    if (S.busy) return;
    const request = $("request").value.trim();
    if (!S.files.length) { showError("Add a screenshot of the form first: drop it, choose a file, or paste it with Ctrl+V. 请先添加表单截图。"); return; }
    if (!request) { showError("Type what should be filled in, e.g. your name and phone number. 请输入要填写的内容。"); $("request").focus(); return; }
    resetWork();
    $("work").hidden = false;
    $("chat").hidden = false;
    $("reset").hidden = false;
    say("user", request + `\n(screenshot 截图: ${S.files.map((f) => f.name).join(", ")})`);
    const body = { request, images: S.files.map((f) => f.dataUri), approve: "ask" };
    if ($("backend").value) body.backend = $("backend").value;  // else the server's own setting
    await run("/api/runs", body);
  }

  function resume(body) {
    if (!S.thread || S.busy) return;
    S.paused = false;
    S.rejected = body.action === "reject";
    $("approve-bar").hidden = true;
    if (body.action === "edit") say("user", "Approve with changes 修改后确认: " + Object.entries(body.values).map(([k, v]) => `${k} = ${v}`).join(", "));
    else if (body.action === "accept") say("user", "Approved 确认");
    else say("user", "Rejected 拒绝" + (body.reason ? ": " + body.reason : ""));
    return run(`/api/threads/${encodeURIComponent(S.thread)}/resume`, body);
  }

  async function sendChat(ev) {
    ev.preventDefault();
    const input = $("chat-input");
    const text = input.value.trim();
    if (!text || S.busy || !S.thread) return;
    input.value = "";
    S.rejected = false;
    say("user", text);
    await run("/api/runs", { thread_id: S.thread, request: text });
  }

  function resetWork() {
    S.thread = null; S.images = []; S.fields = []; S.missing = []; S.problems = [];
    S.answer = null; S.paused = false; S.edits = {}; S.rejected = false;
    $("steps").replaceChildren();
    $("task").textContent = "";
    $("reasoning").textContent = "";
    $("reasoning-len").textContent = "";
    $("review").hidden = true;
    $("result").hidden = true;
    $("log").replaceChildren();
    $("thread-tag").textContent = "";
    $("continue-box").hidden = true;
    clearTimeout(S.poll);
    setStatus("");
    setHow(1);
  }

  async function loadThread(id, fresh = true) {
    let res;
    try {
      res = await fetch(`/api/threads/${encodeURIComponent(id)}`, { credentials: "same-origin" });
    } catch {
      throw new UserError(NET);
    }
    if (!res.ok) throw new UserError(await httpMessage(res));
    const t = await res.json();
    S.thread = t.thread_id || id;
    $("thread-tag").textContent = "thread " + S.thread;
    if (t.images && t.images.length) S.images = t.images;
    $("work").hidden = false;
    $("chat").hidden = false;
    $("reset").hidden = false;
    if (fresh) {
      $("log").replaceChildren();
      for (const m of t.messages || []) say(m.role === "user" ? "user" : "assistant", m.text);
    }
    if (t.interrupt) {
      HANDLERS.approval(t.interrupt);
      S.ended = true;
    } else if (t.answer) {
      HANDLERS.answer(t.answer);
      S.ended = true;
      setStatus("Done 完成", "done");
    }
    $("continue-box").hidden = t.status !== "unfinished";
    clearTimeout(S.poll);
    if (t.status === "unfinished") {
      S.ended = true;
      setStatus("Stopped before it finished 未完成", "error");
    } else if (t.status === "running") {
      // Another tab (or a lost connection) is running this thread: look again shortly.
      S.ended = true;
      setStatus("Still running on the server… 服务器仍在处理", "running");
      S.poll = setTimeout(() => loadThread(S.thread, false).catch((e) => showError(e.message)), 2000);
    }
  }

  // ---------- wiring ----------
  $("run-form").addEventListener("submit", submitRun);
  $("file").addEventListener("change", (e) => addFiles(e.target.files));
  $("drop").addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") { e.preventDefault(); $("file").click(); }
  });
  for (const name of ["dragenter", "dragover"]) {
    document.addEventListener(name, (e) => {
      e.preventDefault();
      $("drop").classList.add("over");
    });
  }
  for (const name of ["dragleave", "drop"]) {
    document.addEventListener(name, (e) => {
      e.preventDefault();
      if (name === "drop" || e.target === document.documentElement) $("drop").classList.remove("over");
    });
  }
  document.addEventListener("drop", (e) => addFiles(e.dataTransfer && e.dataTransfer.files));
  document.addEventListener("paste", (e) => {
    const files = Array.from((e.clipboardData && e.clipboardData.files) || []).filter((f) => f.type.startsWith("image/"));
    if (!files.length) return;  // plain text pastes into the text boxes as usual
    e.preventDefault();
    addFiles(files);
  });
  $("reset").addEventListener("click", () => {
    S.files = [];
    renderThumbs();
    $("file").value = "";
    $("request").value = "";
    resetWork();
    $("work").hidden = true;
    $("chat").hidden = true;
    $("reset").hidden = true;
    clearError();
    history.replaceState(null, "", location.pathname);
    setBusy(false);
  });
  $("approve").addEventListener("click", () => {
    const values = { ...S.edits };
    resume(Object.keys(values).length ? { action: "edit", values } : { action: "accept" });
  });
  $("reject").addEventListener("click", () => {
    $("reject-box").hidden = false;
    $("reject-reason").focus();
  });
  $("reject-confirm").addEventListener("click", () => resume({ action: "reject", reason: $("reject-reason").value.trim() }));
  $("chat-form").addEventListener("submit", sendChat);
  $("continue").addEventListener("click", () => {
    if (!S.thread || S.busy) return;
    $("continue-box").hidden = true;
    run(`/api/threads/${encodeURIComponent(S.thread)}/continue`, {});
  });
  $("error-close").addEventListener("click", clearError);

  setBusy(false);
  // Reopening a link with #thread=… shows that conversation again.
  const m = /thread=([^&]+)/.exec(location.hash);
  if (m) {
    loadThread(decodeURIComponent(m[1])).catch((e) => showError(e.message));
  }
})();
