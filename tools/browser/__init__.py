"""Browser control for the GUI executor: Chromium fenced by a host allowlist, perception of a
live page, read-back actions, the instruction reader, and the replay script export."""
