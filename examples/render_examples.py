"""Re-render the shipped example forms with their requests and ground truth.

Writes, next to this file:

- ``bank_account_zh.png`` — 个人银行账户开户申请表 (labels left of the inputs), with
  ``bank_account_zh.request.txt`` and ``bank_account_zh.truth.json``;
- ``insurance_claim_en.png`` — an English insurance claim form (labels above the inputs), with
  ``insurance_claim_en.request.txt`` and ``insurance_claim_en.truth.json``.

``*.truth.json`` has the same shape as a corpus record: ``truth`` (every field's label box and
editable box), ``request``, ``profile``, ``expected`` (fields to fill + ``missing`` labels)
and the ``spec`` that drew the image.

    python -m examples.render_examples [--out examples]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from bench.corpus import Case, case_record, expected_for, id_check_char
from bench.corpus import field_spec as fs
from bench.formgen import FormSpec, Style, render

HERE = Path(__file__).resolve().parent

ZHANG_SAN_BIRTH = dt.date(1990, 5, 12)
_ZHANG_SAN_ID17 = f"110105{ZHANG_SAN_BIRTH:%Y%m%d}013"  # 北京市朝阳区, sequence 013 (odd: male)
ZHANG_SAN_ID = _ZHANG_SAN_ID17 + id_check_char(_ZHANG_SAN_ID17)


def bank_account_zh() -> Case:
    """个人银行账户开户申请表: labels left, radio 性别, selects, consent box, 提交."""
    w = 420
    spec = FormSpec(
        id="bank_account_zh", lang="zh", title="个人银行账户开户申请表",
        subtitle="请客户如实填写以下信息，带 * 号的为必填项。本行将依法保护您的个人信息。",
        layout="left", columns=1, width=1000, font_size=16,
        style=Style(header_band="#1f4e99", accent="#1f4e99", border="#c0c0c0", fill="#ffffff",
                    radius=4, label_align="right", label_suffix="：", input_height=36,
                    row_gap=18, button_align="left"),
        fields=[
            fs("zh", "name", required=True, width=w),
            fs("zh", "gender", required=True),
            fs("zh", "birth_date", width=w),
            fs("zh", "nationality", width=w),
            fs("zh", "id_type", required=True, width=w),
            fs("zh", "id_number", required=True, width=w),
            fs("zh", "phone", required=True, width=w),
            fs("zh", "email", width=w),
            fs("zh", "address", width=640),
            fs("zh", "postcode", width=w),
            fs("zh", "occupation", width=w),
            fs("zh", "employer", width=w),
            fs("zh", "account_type", required=True, width=w),
            fs("zh", "emergency_contact", width=w),
            fs("zh", "emergency_phone", width=w),
            fs("zh", "consent"),
        ],
        submit="提交", secondary_button="重置", signature_line=True,
        footer_note="注：本表一式两联，第一联银行留存，第二联客户留存。",
    )
    request = (
        "这是银行开户申请表，帮我填一下。我叫张三，男，1990年5月12日出生，证件类型是居民身份证，"
        f"身份证号 {ZHANG_SAN_ID}，手机 13812345678，邮箱 zhangsan@example.com，"
        "住在北京市朝阳区建国路88号，邮编100022，职业是软件工程师，账户类型选储蓄账户。"
    )
    values = {
        "name": "张三", "gender": "男", "birth_date": ZHANG_SAN_BIRTH.isoformat(),
        "id_type": "居民身份证", "id_number": ZHANG_SAN_ID, "phone": "13812345678",
        "email": "zhangsan@example.com", "address": "北京市朝阳区建国路88号",
        "postcode": "100022", "occupation": "软件工程师", "account_type": "储蓄账户",
    }
    _, truth = render(spec)
    return Case(spec=spec, request=request, profile=None,
                expected=expected_for(truth, values, consent=False), truth=truth)


def insurance_claim_en() -> Case:
    """English insurance claim form: labels above the inputs, address textarea, Submit claim."""
    w = 520
    spec = FormSpec(
        id="insurance_claim_en", lang="en", title="Insurance Claim Form",
        subtitle="Please complete every section. Incomplete claims may delay processing.",
        layout="above", columns=1, width=900, font_size=16,
        style=Style(header_band=None, accent="#2f6fde", border="#8c8c8c", fill="#ffffff",
                    radius=4, label_suffix="", title_align="left", input_height=36,
                    row_gap=18, button_align="left", font="noto", section_style="rule"),
        fields=[
            fs("en", "policy_number", required=True, width=w),
            fs("en", "name", required=True, width=w),
            fs("en", "birth_date", width=w),
            fs("en", "email", width=w),
            fs("en", "phone", width=w),
            fs("en", "claim_date", required=True, width=w),
            fs("en", "claim_amount", label="Claim amount", placeholder="0.00", width=w),
            fs("en", "address", kind="textarea", placeholder="Street, city, state, ZIP"),
        ],
        submit="Submit claim",
        footer_note="By submitting this form you confirm that the information given is true "
                    "and complete.",
    )
    request = (
        "Please fill in this insurance claim form for me. Policy number POL-2024-083172. "
        "My name is Jane Doe, born March 14, 1990. Email jane.doe@example.com, "
        "phone +1 415 555 0132. The incident happened on 2025-02-03 and I'm claiming "
        "2450.00 dollars."
    )
    values = {
        "policy_number": "POL-2024-083172", "name": "Jane Doe", "birth_date": "1990-03-14",
        "email": "jane.doe@example.com", "phone": "+1 415 555 0132",
        "claim_date": "2025-02-03", "claim_amount": "2450.00",
    }
    _, truth = render(spec)
    return Case(spec=spec, request=request, profile=None,
                expected=expected_for(truth, values, consent=False), truth=truth)


EXAMPLES = {"bank_account_zh": bank_account_zh, "insurance_claim_en": insurance_claim_en}


def write_examples(out_dir: str | Path = HERE) -> list[Path]:
    """Write every example's PNG, request and truth into ``out_dir``; return the PNG paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, make in EXAMPLES.items():
        case = make()
        image, _ = render(case.spec)
        png = out / f"{name}.png"
        image.save(png, optimize=True)
        (out / f"{name}.request.txt").write_text(case.request + "\n", encoding="utf-8")
        (out / f"{name}.truth.json").write_text(
            json.dumps(case_record(case), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        written.append(png)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render the example forms.")
    parser.add_argument("--out", default=str(HERE), help="output directory (default: examples/)")
    args = parser.parse_args(argv)
    for png in write_examples(args.out):
        print(f"{png} ({png.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
