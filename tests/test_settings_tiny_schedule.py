"""Why the toy base model keeps its own warm-up/cosine schedule (models/tiny.lr_factor)."""

import torch
from hypothesis import given
from hypothesis import strategies as st
from transformers import get_cosine_schedule_with_warmup

from divrl.models.tiny import lr_factor


def _transformers_rates(warmup, total):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = get_cosine_schedule_with_warmup(opt, warmup, total)
    rates = []
    for _ in range(total):
        rates.append(sched.get_last_lr()[0])
        opt.step()
        sched.step()
    return rates


@given(warmup=st.integers(1, 20), extra=st.integers(1, 40))
def test_same_cosine_but_warm_up_one_step_ahead(warmup, extra):
    total = warmup + extra
    ours = [lr_factor(step, warmup, total) for step in range(total)]
    theirs = _transformers_rates(warmup, total)
    # after the warm-up the two are the same curve
    assert all(abs(a - b) < 1e-12 for a, b in zip(ours[warmup:], theirs[warmup:]))
    # during it transformers starts at 0 (a step that moves no weight) and lags one step:
    # switching would change the toy base model and every default table
    assert theirs[0] == 0 and ours[0] == 1 / warmup
    assert all(abs(ours[s] - theirs[s + 1]) < 1e-12 for s in range(warmup - 1))
