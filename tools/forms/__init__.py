"""Form filling rules: what the user supplied (entities, profiles), the field lexicon,
validators, mapping user data onto labelled controls, hand edits, and the outputs (overlay,
automation scripts)."""
