"""A workflow config loaded and checked once (load.py), with the checks that span keys and
registries (checks.py: methods, formats, templates, models): above the stages, because it
asks each of them what names exist; below only the Snakefile and the CLI that call it."""
