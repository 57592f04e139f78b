"""Every configuration key, defined once: type, default, bounds and description.

Each section of the workflow config (config/config.yaml; `config/README.md` lists every
key) is one pydantic v2 class here, and the same class is the spec the `divrl` verb of
that section builds from its `--params` JSON (train/run.py's TrainSpec is
settings.train.TrainSpec). Pydantic rather than plain (TRL-style) dataclasses: one
declaration gives the type, the bounds (`Field(ge=…)`), the allowed words (`Literal`),
the help text, the refusal of unknown keys (`extra="forbid"`) and the JSON schema, so
the generated schema (workflow/schemas/config.schema.yaml, for the catalog and editors), the key
reference (config/README.md) and the specs can no longer disagree — the six hand-copied
dataclasses they replace already did (DifficultySpec.samples was 8, the schema's 0).

They are pydantic *dataclasses* (`settings.model.settings`): still real dataclasses,
so `dataclasses.asdict`, `fields`, `replace` and positional construction keep working
for the code that used the old specs.

Defaults equal the toy config's values (config/config.yaml), so a small personal config
that sets one key does not silently change the others.

Modules: placement (device, dtype), run (the top level), data, base_model, train,
evaluation, cluster, report; schema and docs generate the schema and the README;
sections builds the JSON each workflow rule passes to its verb.
"""
