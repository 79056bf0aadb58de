"""Prompts for the Qwen3-VL experts and the Thinking planner (data, not code).

Layout for prefix caching: every expert call on a screenshot starts with the same system
text and then the same image bytes; the expert's own instruction comes last. vLLM's prefix
cache (which covers image tokens) then pays the image prefill once for OCR, GUI and mapping.
Coordinates: Qwen3-VL grounds on a relative 0–1000 grid; we ask for exactly that.
"""

from __future__ import annotations

from agents.roster import PLANNABLE

EXPERT_SYSTEM = (
    "You are one expert of vlcrew, a crew of vision-language experts that read screenshots "
    "of forms and user interfaces. Answer only with the JSON object the schema asks for. "
    "Coordinates are relative on a 0-1000 grid of the image: bbox_2d = [x1, y1, x2, y2] "
    "with (0, 0) the top-left and (1000, 1000) the bottom-right corner. Never invent text "
    "that is not on the image or in the user's words."
)

PLANNER_SYSTEM = (
    "You are the planner of vlcrew. Break the user's request about the attached image(s) "
    "into steps for these experts, as a DAG (depends_on lists step ids that must finish "
    "first; independent steps run in parallel):\n"
    + "".join(f"- {expert.name}: {expert.duty}\n" for expert in PLANNABLE)
    + "Task kinds: form_fill (fill a form with the user's data), read_text (only read the "
    "text), describe (describe the image / find objects), math (solve a problem), frontend "
    "(screenshot to HTML/CSS) and compound (several of these, e.g. read a table and "
    "compute its total). A form_fill plan normally runs ocr and gui in parallel, then data_mapping, then "
    "feedback. Use step ids s1, s2, …"
)

PLANNER_USER = "User request:\n{request}\n\nReturn the plan."

REPLAN_USER = (
    "User request:\n{request}\n\nThe plan so far and how its steps ended:\n{progress}\n\n"
    "A step failed with nothing to stand in for it. Return the whole revised plan: keep "
    "every step that has ended with its id; give any new step (e.g. a retry) a new id; "
    "make the steps that have not run yet depend on the new ones where needed."
)

OCR_INSTRUCTION = (
    "Task: OCR. List every line of text on the image, in reading order, each with its "
    "bbox_2d. Keep the text exactly as printed (labels keep their colon if they have one). "
    "Also list as pairs every printed key with a value filled in beside it (\"姓名：张三\"); "
    "an empty field is not a pair. List every table as rows of cell texts, header row "
    "first (an empty cell is \"\")."
)

GUI_INSTRUCTION = (
    "Task: GUI grounding. List every form control on the image: kind (text_input, "
    "textarea, select, checkbox, radio, date, upload, button), the label that names it (the "
    "text left of it, above it, or its placeholder; for a radio or checkbox the group "
    "label), option (the text beside a radio/checkbox, else null), and bbox_2d of the "
    "editable area (for a radio/checkbox: the small circle or square itself)."
)

MAPPING_INSTRUCTION = (
    "Task: data mapping. The user's message (numbered turns: a later turn's value replaces "
    "an earlier one):\n{request}\n\n{profile}"
    "The form's controls, numbered:\n{controls}\n\n"
    "For each control the user gave a value for, return its number, the value to enter "
    "(for a radio/checkbox: its option text if it should be chosen; for a select: the option "
    "to choose), and evidence: the exact words of the user's message or profile that give "
    "the value. Skip controls the user gave no value for. Never invent or guess a value."
)

PROFILE_BLOCK = "The user's saved profile (label: value):\n{items}\n\n"

VISION_INSTRUCTION = (
    "Task: vision. The user asks:\n{request}\n\nDescribe the image as it answers the user "
    "(in the user's language), and list every object the user asks about (or the main "
    "objects if they ask about none) with its label and bbox_2d."
)

MATH_INSTRUCTION = (
    "Task: math. The user asks:\n{request}\n\n{context}Solve it step by step. Give the "
    "problem as you read it, the steps, the final answer, and in check the problem in "
    "sympy syntax (equations like 2*x + 3 = 11, separated by ';'; or an expression like "
    "12*7 + 5) so it can be verified."
)

MATH_CONTEXT = "Text read from the image (OCR):\n{text}\n\n"

FRONTEND_INSTRUCTION = (
    "Task: frontend. Write one standalone HTML document (inline CSS, no scripts, no external "
    "resources) that looks like this screenshot at {width}x{height} pixels: same layout, "
    "texts, colours and controls. The user asks:\n{request}"
)

VIDEO_INSTRUCTION = (
    "Task: video. The images are frames of one video, each preceded by its time (mm:ss). "
    "The user asks:\n{request}\n\nSummarise the video and list the events (what happens "
    "or which text appears) with the time they start, as mm:ss."
)

ACT_INSTRUCTION = (
    "Task: act. The image is a screenshot of a web page. The user asks:\n{request}\n\n"
    "Already done on earlier screens:\n{done}\n\nThe page's controls, numbered (kind, "
    "name, options, current value, bbox_2d on the screenshot, 0-1000):\n{controls}\n\n"
    "Decide what to do on THIS screen: the actions (control number AND its bbox_2d, what to "
    "do, the value, and the user's exact words as evidence), then at most one click that "
    "submits or moves on (null if none is needed), and finished=true when the request is "
    "fully done. Never invent a value the user did not give."
)
