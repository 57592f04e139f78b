# divrl: diversity-aware RL of LLM reasoners, end to end.
# Default config: an embedded toy (generated Countdown data, a tiny base model trained
# here, RL of every method on CPU). Every key: workflow/schemas/config.schema.yaml.

# A --configfile replaces the default instead of deep-merging into it (Snakemake's
# default merge would keep the default's methods next to the ones you chose).
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/sample.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        rules.report.input,
        rules.sweep_report.output if SWEEP_RUNS else [],
    default_target: True
