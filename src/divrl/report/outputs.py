"""Names of the report's outputs that a rule declares and a verb takes as options (a rule's
output `dra_style_md` is the verb's `--dra-style-md`). Kept free of pandas: `divrl`'s parser
reads them on every call."""

# the papers' table layouts (report/paper_tables.py writes them), markdown + csv each
PAPER_TABLES = ("dra_style", "r1zero_div_style", "ds_style", "multiplicity")
PAPER_TABLE_OUTPUTS = (*(f"{n}_{ext}" for n in PAPER_TABLES for ext in ("md", "csv")), "bootstrap_ci")
