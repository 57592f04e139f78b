"""DS Countdown aggregates the policy loss as TinyZero's verl does: one mean over every
completion token of the batch, not a mean per completion.

verl (github Jiayi-Pan/TinyZero at 95df88f2dcb0), verl/trainer/ppo/core_algos.py:192:
`pg_loss = masked_mean(max(pg_losses, pg_losses2), eos_mask)` with masked_mean
(verl/utils/torch_functional.py:107) = sum(values · mask) / sum(mask) over the whole
[batch, tokens] tensor. Its gradient with respect to token t of completion i is therefore
−A_i / (all tokens of the batch) on-policy (ratio 1, inside the clip). The test runs TRL's
own loss, with the aggregation the paper config sets, on a hand-made batch split into two
micro-batches, and compares those gradients with that expression.
"""

import pytest
import torch
import yaml

from divrl.config.load import load_config

LENGTHS = [[1, 3], [5, 7]]  # completion lengths, two micro-batches of two completions
ADVANTAGES = [[1.0, -2.0], [0.5, 3.0]]
T = 7  # padded completion length


def verl_token_mean_grad(lengths, advantages) -> list[list[list[float]]]:
    """d pg_loss / d log π(token) of verl's masked_mean over the whole batch, by loops."""
    total = sum(n for micro in lengths for n in micro)
    return [[[-a / total if t < n else 0.0 for t in range(T)] for n, a in zip(ls, adv)]
            for ls, adv in zip(lengths, advantages)]


def rows(per_micro_batch) -> list[list[float]]:
    """[micro-batch][completion][token] -> [completion][token] (pytest.approx compares flat lists)."""
    return [row for micro in per_micro_batch for row in micro]


def trl_grad(loss_type: str, tiny_base, problems, tmp_path) -> list[list[list[float]]]:
    """Gradients of TRL's summed micro-batch losses (one optimizer step) w.r.t. the token log-probs."""
    from divrl.train.run import build_trainer

    from divrl.settings.train import TrainSpec
    spec = TrainSpec(steps=1, prompts_per_step=2, num_generations=2, per_device_batch_size=2,
                     gradient_accumulation_steps=2, steps_per_generation=2, loss_type=loss_type)
    trainer = build_trainer("grpo", {}, 0, spec, str(tiny_base), problems, tmp_path / loss_type)
    trainer.model.train()
    trainer.current_gradient_accumulation_steps = 2  # set by the training loop in a real run
    logps = torch.zeros(4, T, requires_grad=True)  # the policy's token log-probs (values irrelevant on-policy)
    rows = iter([slice(0, 2), slice(2, 4)])

    def policy_forward(*args, **kwargs):  # stands in for the model forward inside TRL's loss
        return logps[next(rows)], torch.zeros(2, T), None

    trainer._get_per_token_logps_and_entropies = policy_forward
    tokens = sum(n for micro in LENGTHS for n in micro)
    total = 0.0
    for lengths, advantages in zip(LENGTHS, ADVANTAGES):
        mask = torch.tensor([[1 if t < n else 0 for t in range(T)] for n in lengths])
        inputs = {"prompt_ids": torch.ones(2, 1, dtype=torch.long), "prompt_mask": torch.ones(2, 1, dtype=torch.long),
                  "completion_ids": torch.ones(2, T, dtype=torch.long), "completion_mask": mask,
                  "advantages": torch.tensor(advantages), "num_items_in_batch": torch.tensor(tokens),
                  "divrl_correct": torch.zeros(2, dtype=torch.bool)}
        total = total + trainer._compute_loss(trainer.model, inputs)
    total.backward()
    return logps.grad.view(2, 2, T).tolist()


def test_ds_countdown_aggregates_as_verl_token_mean(root, tiny_base, tiny_problems, tmp_path):
    cfg = load_config(yaml.safe_load((root / "config/paper/ds_countdown.yaml").read_text()))
    loss_type = cfg["train"]["loss_type"]
    got = rows(trl_grad(loss_type, tiny_base, tiny_problems["train"], tmp_path))
    want = rows(verl_token_mean_grad(LENGTHS, ADVANTAGES))
    for g, w in zip(got, want, strict=True):
        assert g == pytest.approx(w, abs=1e-7)


def test_the_per_completion_mean_it_replaced_weights_tokens_otherwise(tiny_base, tiny_problems, tmp_path):
    """Control: TRL's `grpo` aggregation (the methods' own) fails the same comparison."""
    got = rows(trl_grad("grpo", tiny_base, tiny_problems["train"], tmp_path))
    want = rows(verl_token_mean_grad(LENGTHS, ADVANTAGES))
    assert any(g != pytest.approx(w, abs=1e-7) for g, w in zip(got, want, strict=True))
