"""What vlcrew tells the user, in Chinese and English (data, like the prompts in prompts.py).

Every user-facing text the nodes write (suggestions, replies to questions, approval
questions, overlay titles) is one entry of ``MESSAGES``: a key and its (Chinese, English)
templates, filled with ``str.format``. ``say(key, zh, **fields)`` picks the user's language.
Both templates of a key take the same fields. Prompts to the model are not here: they stay
in ``agents/prompts.py``.
"""

from __future__ import annotations

from collections.abc import Iterable

MESSAGES: dict[str, tuple[str, str]] = {
    # Lists inside a message: 、 in Chinese, a comma in English.
    "list": ("、", ", "),
    # A form's answer (feedback): what to do next, the overlay's title.
    "form.found": ("已为 {count} 个字段找到要填写的内容。", "Found values for {count} field(s)."),
    "form.missing": ("缺少 {count} 项信息：{names}，请补充后再提交。",
                     "Missing {count}: {names} — please provide them before submitting."),
    "form.invalid": ("「{label}」校验未通过：{message}，请核对。",
                     "'{label}' failed validation: {message}; please check it."),
    "form.unsure": ("请核对置信度较低的字段：{labels}。",
                    "Check the low-confidence fields: {labels}."),
    "form.ready": ("所有字段均已填写并通过校验，可以提交。",
                   "Every field is filled and valid; ready to submit."),
    "form.rejected": ("你拒绝了这些字段：未生成脚本。可以修改请求后重试。",
                      "You rejected these fields: no scripts were written. Change the request "
                      "and try again."),
    "form.overlay_title": ("待填写字段 · {backend}", "Fields to fill · {backend}"),
    # A follow-up question about the thread's fields.
    "question.not_filled": ("「{label}」还没有填写：请提供它的值。",
                            "'{label}' is not filled yet: please give its value."),
    "question.unknown": ("没找到你问的字段。已填写：{labels}。",
                         "I could not tell which field you mean. Filled: {labels}."),
    "question.value": ("{label}：{value}{verdict}", "{label}: {value}{verdict}"),
    "question.valid": ("（校验通过）", " (valid)"),
    "question.invalid": ("（校验未通过：{message}）", " (invalid: {message})"),
    # Describe an image.
    "describe.found": ("找到 {count} 个对象。", "Found {count} object(s)."),
    # A run in the browser.
    "act.done": ("已完成：{count} 个操作均已回读确认。", "Done: {count} action(s), each read back."),
    "act.not_done": ("未完成：{message}", "Not done: {message}"),
    "act.start_not_allowed": ("浏览器不能从 {url} 开始：运营者没有允许这个起始地址"
                              "（VLCREW_ACT_START_URLS）。",
                              "The browser may not start at {url}: the operator has not "
                              "allowed this start URL (VLCREW_ACT_START_URLS)."),
    "act.confirm_commit": ("即将点击「{target}」提交，是否继续？",
                           "About to click '{target}', which commits. Go ahead?"),
    # The web page's door, shown without the token (server/security.py).
    "server.sign_in": ("请打开 `vlcrew serve` 启动时打印的链接（含 ?token=…）；"
                       "令牌保存在数据目录的 server_token 文件中。",
                       "Open the link `vlcrew serve` printed when it started (it ends in "
                       "?token=…); the token is kept in the file server_token in the data "
                       "dir."),
    # The experts' answers.
    "read_text.read": ("读到 {lines} 行文字，{tables} 个表格。",
                       "Read {lines} line(s) of text, {tables} table(s)."),
    "math.verified": ("✓ sympy 已验证", "✓ checked by sympy"),
    "math.unverified": ("未验证", "not verified"),
    "math.solved": ("解出 {count} 道题，其中 {checked} 道经 sympy 验证。",
                    "Solved {count} problem(s); {checked} checked by sympy."),
    "frontend.written": ("已生成 HTML（与截图的视觉相似度 {similarity}）。",
                         "HTML written (visual similarity to the screenshot: {similarity})."),
    "video.found": ("找到 {count} 个事件。", "Found {count} event(s)."),
    # Approval of a form's fields.
    "approval.question": ("请确认以下字段：接受、修改（给出新值）或拒绝。",
                          "Please review the fields: accept, edit (give new values) or reject."),
}


def say(key: str, zh: bool, **fields: object) -> str:
    """The message ``key`` in Chinese (``zh``) or English, its fields filled in."""
    zh_text, en_text = MESSAGES[key]
    return (zh_text if zh else en_text).format(**fields)


def listing(items: Iterable[str], zh: bool) -> str:
    """Items in one line, separated as the language lists them."""
    return say("list", zh).join(items)
