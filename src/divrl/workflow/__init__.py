"""The Python side of workflow/: what the rules and the report share (the results layout)."""
