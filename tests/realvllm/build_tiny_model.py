#!/usr/bin/env python
"""Build a tiny, randomly initialised Qwen3-VL checkpoint for the real-vLLM test tier.

    <vllm-venv>/bin/python tests/realvllm/build_tiny_model.py OUT_DIR

Runs in the vLLM venv (tests/realvllm/setup_venv.sh), needs no network and no weights:
the architecture (`Qwen3VLForConditionalGeneration`), processor classes, chat-template
conventions and special tokens are those of Qwen3-VL; the sizes are toy sizes and the
weights are random (fixed seed), so answers are nonsense but the serving protocol is real.

Output: config.json, model.safetensors, generation_config.json, tokenizer.json +
tokenizer_config.json (byte-level BPE trained here on an embedded corpus),
chat_template.jinja, preprocessor_config.json, video_preprocessor_config.json,
processor_config.json, and tiny_model_info.json (the token ids tests need).
Deterministic: the same inputs give byte-identical weights and tokenizer.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

SEED = 20261123
VOCAB_TARGET = 1536  # BPE merges stop earlier if the corpus runs out of pairs

# ChatML + Qwen-VL special tokens (special=True, never split, skipped when decoding)
SPECIAL_TOKENS = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|image_pad|>",
    "<|video_pad|>",
]
# Qwen3 keeps these as added *non-special* tokens: they survive decoding, so the
# reasoning and tool parsers can see them in the text.
ADDED_TOKENS = ["<think>", "</think>", "<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>"]

# Qwen2/Qwen3 pre-tokenizer split pattern.
SPLIT_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)

CHAT_TEMPLATE = r"""{%- macro render_content(content) -%}
{%- if content is none -%}
{%- elif content is string -%}{{ content }}
{%- else -%}
{%- for part in content -%}
{%- if part is string -%}{{ part }}
{%- elif part.type == 'image' or part.type == 'image_url' or 'image' in part or 'image_url' in part -%}<|vision_start|><|image_pad|><|vision_end|>
{%- elif part.type == 'video' or part.type == 'video_url' or 'video' in part or 'video_url' in part -%}<|vision_start|><|video_pad|><|vision_end|>
{%- elif 'text' in part -%}{{ part.text }}
{%- endif -%}
{%- endfor -%}
{%- endif -%}
{%- endmacro -%}
{%- if tools %}
{{- '<|im_start|>system\n' }}
{%- if messages[0].role == 'system' %}{{- render_content(messages[0].content) + '\n\n' }}{%- endif %}
{{- "# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>" }}
{%- for tool in tools %}{{- '\n' + (tool | tojson) }}{%- endfor %}
{{- "\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n" }}
{%- elif messages[0].role == 'system' %}
{{- '<|im_start|>system\n' + render_content(messages[0].content) + '<|im_end|>\n' }}
{%- endif %}
{%- for message in messages %}
{%- if message.role == 'system' %}
{%- if not loop.first %}{{- '<|im_start|>system\n' + render_content(message.content) + '<|im_end|>\n' }}{%- endif %}
{%- elif message.role == 'user' %}
{{- '<|im_start|>user\n' + render_content(message.content) + '<|im_end|>\n' }}
{%- elif message.role == 'assistant' %}
{%- set text = render_content(message.content) %}
{%- if '</think>' in text %}{%- set text = text.split('</think>')[-1].lstrip('\n') %}{%- endif %}
{{- '<|im_start|>assistant\n' + text }}
{%- if message.tool_calls %}
{%- for tool_call in message.tool_calls %}
{%- if tool_call.function %}{%- set tool_call = tool_call.function %}{%- endif %}
{%- if loop.first and text %}{{- '\n' }}{%- elif not loop.first %}{{- '\n' }}{%- endif %}
{{- '<tool_call>\n{"name": "' + tool_call.name + '", "arguments": ' }}
{%- if tool_call.arguments is string %}{{- tool_call.arguments }}{%- else %}{{- tool_call.arguments | tojson }}{%- endif %}
{{- '}\n</tool_call>' }}
{%- endfor %}
{%- endif %}
{{- '<|im_end|>\n' }}
{%- elif message.role == 'tool' %}
{%- if loop.first or messages[loop.index0 - 1].role != 'tool' %}{{- '<|im_start|>user' }}{%- endif %}
{{- '\n<tool_response>\n' + render_content(message.content) + '\n</tool_response>' }}
{%- if loop.last or messages[loop.index0 + 1].role != 'tool' %}{{- '<|im_end|>\n' }}{%- endif %}
{%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
{{- '<|im_start|>assistant\n' }}
{%- if enable_thinking is defined and enable_thinking is false %}{{- '<think>\n\n</think>\n\n' }}{%- else %}{{- '<think>\n' }}{%- endif %}
{%- endif %}
"""

# Deterministic training text: English and Chinese form/GUI vocabulary, JSON and ChatML
# fragments. Embedded so the tokenizer never depends on files that may change.
CORPUS_LINES = [
    "The quick brown fox jumps over the lazy dog. Pack my box with five dozen liquor jugs.",
    "Please fill in the form with the user's name, phone number, address and date of birth.",
    "The screenshot shows a login page with a username field, a password field and a submit button.",
    "Click the button labelled Submit. Type the value into the text input. Select an option.",
    "Describe the image. Extract all text. What is written in the table? Solve the equation.",
    "First, I need to find the fields on the page. Then I map each value to its label.",
    "Let me think step by step. The user wants to register an account and upload a file.",
    "The answer is 42. The total is 1,234.56 yuan. The date is 2025-11-23 at 14:05.",
    "name email phone address city country zip code id number gender birthday company title",
    "checkbox radio select textarea upload date button link menu dialog tab table row column",
    '{"task": "form_fill", "fields": [{"label": "name", "bbox": [120, 230, 300, 260], "value": "Zhang San"}]}',
    '{"bbox_2d": [10, 20, 300, 400], "label": "button"} {"name": "click", "arguments": {"x": 1, "y": 2}}',
    '{"steps": [{"id": "s1", "agent": "ocr", "instruction": "read the text", "depends_on": []}]}',
    "true false null 0 1 2 3 4 5 6 7 8 9 10 100 1000 [ ] { } : , \" ' ( ) < > / \\ - _ + = * # @ ! ? . ;",
    "请帮我填写这张表格：姓名张三，电话13800138000，地址北京市海淀区中关村大街1号。",
    "图片中有一个登录页面，包含用户名输入框、密码输入框和提交按钮。",
    "识别图中的文字，提取表格内容，描述这张图片，计算这道数学题。",
    "姓名 性别 出生日期 身份证号 手机号码 电子邮箱 家庭住址 工作单位 职务 备注 提交 取消 确定",
    "首先，我需要找到页面上的所有字段。然后把用户提供的信息填入对应的位置。",
    "def main(): return {'ok': True}  # python code; function arguments; import json",
    "<html><body><form><input type=\"text\" name=\"name\"><button>Submit</button></form></body></html>",
]


def build_tokenizer():
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        trainers,
    )

    tok = Tokenizer(models.BPE(unk_token=None, fuse_unk=False, byte_fallback=False))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(SPLIT_PATTERN), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_TARGET,
        min_frequency=2,
        show_progress=False,
        special_tokens=[],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    corpus = [line for _ in range(8) for line in CORPUS_LINES]
    tok.train_from_iterator(corpus, trainer=trainer, length=len(corpus))
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in SPECIAL_TOKENS])
    tok.add_tokens([AddedToken(t, special=False, normalized=False) for t in ADDED_TOKENS])
    return tok


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] in {"-h", "--help"}:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    out = Path(argv[1]).resolve()
    t0 = time.monotonic()

    import torch
    import transformers
    from transformers import (
        GenerationConfig,
        PreTrainedTokenizerFast,
        Qwen2VLImageProcessor,
        Qwen3VLConfig,
        Qwen3VLForConditionalGeneration,
        Qwen3VLProcessor,
        Qwen3VLVideoProcessor,
    )

    torch.manual_seed(SEED)
    out.mkdir(parents=True, exist_ok=True)

    raw = build_tokenizer()
    ids = {t: raw.token_to_id(t) for t in SPECIAL_TOKENS + ADDED_TOKENS}
    vocab_size = raw.get_vocab_size(with_added_tokens=True)
    padded_vocab = (vocab_size + 63) // 64 * 64

    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=raw,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        bos_token=None,
        unk_token=None,
        model_max_length=4096,
        clean_up_tokenization_spaces=False,
        split_special_tokens=False,
        # listed so that skip_special_tokens drops them (transformers 5 only counts named
        # special tokens otherwise; real Qwen3-VL lists them the same way)
        extra_special_tokens=SPECIAL_TOKENS[1:],
        chat_template=CHAT_TEMPLATE,
    )

    config = Qwen3VLConfig(
        text_config={
            "vocab_size": padded_vocab,
            "hidden_size": 64,
            "intermediate_size": 128,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "head_dim": 32,  # vLLM's CPU attention wants head_dim >= 32
            "hidden_act": "silu",
            "max_position_embeddings": 8192,
            "rms_norm_eps": 1e-6,
            "rope_parameters": {
                "rope_type": "default",
                "rope_theta": 5000000.0,
                "mrope_section": [6, 5, 5],  # sums to head_dim / 2
                "mrope_interleaved": True,
            },
            "tie_word_embeddings": False,
            "bos_token_id": None,
            "eos_token_id": ids["<|im_end|>"],
            "pad_token_id": ids["<|endoftext|>"],
            "dtype": "float32",
        },
        vision_config={
            "depth": 2,
            "hidden_size": 64,
            "hidden_act": "gelu_pytorch_tanh",
            "intermediate_size": 128,
            "num_heads": 2,
            "in_channels": 3,
            "patch_size": 16,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
            "out_hidden_size": 64,
            "num_position_embeddings": 256,
            "deepstack_visual_indexes": [0, 1],
        },
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        tie_word_embeddings=False,
    )
    config.eos_token_id = ids["<|im_end|>"]
    config.pad_token_id = ids["<|endoftext|>"]
    config.dtype = torch.float32

    model = Qwen3VLForConditionalGeneration(config).to(torch.float32).eval()
    n_params = sum(p.numel() for p in model.parameters())
    model.generation_config = GenerationConfig(
        bos_token_id=None,
        eos_token_id=[ids["<|im_end|>"], ids["<|endoftext|>"]],
        pad_token_id=ids["<|endoftext|>"],
    )
    model.save_pretrained(out, safe_serialization=True)

    image_processor = Qwen2VLImageProcessor(
        size={"shortest_edge": 64 * 32 * 32, "longest_edge": 16384 * 32 * 32},
        patch_size=16,
        temporal_patch_size=2,
        merge_size=2,
        image_mean=[0.5, 0.5, 0.5],
        image_std=[0.5, 0.5, 0.5],
    )
    video_processor = Qwen3VLVideoProcessor(
        size={"shortest_edge": 128 * 32 * 32, "longest_edge": 768 * 32 * 32},
        patch_size=16,
        temporal_patch_size=2,
        merge_size=2,
        image_mean=[0.5, 0.5, 0.5],
        image_std=[0.5, 0.5, 0.5],
    )
    processor = Qwen3VLProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        video_processor=video_processor,
        chat_template=CHAT_TEMPLATE,
    )
    processor.save_pretrained(out)
    tokenizer.save_pretrained(out)  # tokenizer_config.json carries eos/pad and the template too

    info = {
        "seed": SEED,
        "transformers": transformers.__version__,
        "torch": torch.__version__,
        "parameters": n_params,
        "vocab_size": vocab_size,
        "config_vocab_size": padded_vocab,
        "token_ids": ids,
    }
    (out / "tiny_model_info.json").write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n")

    size = sum(f.stat().st_size for f in out.iterdir() if f.is_file())
    print(
        f"built tiny Qwen3-VL in {out}: {n_params:,} parameters, vocab {vocab_size} "
        f"(config {padded_vocab}), {size / 1e6:.1f} MB on disk, {time.monotonic() - t0:.1f} s",
        file=sys.stderr,
    )
    print(json.dumps(ids))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
