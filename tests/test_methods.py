"""Invariants of every registered method (a new method is tested automatically)."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from divrl import methods
from divrl.methods import GroupInputs
from divrl.methods.dra import dra_rewards
from divrl.methods.ds import ds_advantages

G, D = 6, 5


def inputs_for(rewards, seed=0):
    g = torch.Generator().manual_seed(seed)
    n = rewards.numel()
    return GroupInputs(
        correct=rewards >= 1.0,
        logp_old=-torch.rand(n, generator=g) * 10,
        embeddings=torch.rand(n, D, generator=g),  # positive: realistic sentence-embedding geometry
        lengths=torch.randint(1, 17, (n,), generator=g),
        max_length=16,
    )


def permuted(x, perm):
    return GroupInputs(x.correct[perm], x.logp_old[perm], x.embeddings[perm], x.lengths[perm], x.max_length)


def concat(a, b):
    cat = lambda u, v: torch.cat([u, v])  # noqa: E731
    return GroupInputs(cat(a.correct, b.correct), cat(a.logp_old, b.logp_old), cat(a.embeddings, b.embeddings),
                       cat(a.lengths, b.lengths), a.max_length)


reward_lists = st.lists(st.sampled_from([0.0, 0.1, 1.0]), min_size=G, max_size=G)


@pytest.mark.parametrize("name", methods.names())
@settings(max_examples=25, deadline=None)
@given(rewards=reward_lists, seed=st.integers(0, 10_000))
def test_shape_and_finite(name, rewards, seed):
    r = torch.tensor(rewards)
    adv = methods.get(name).group_advantages(r, inputs_for(r, seed))
    assert adv.shape == (G,)
    assert torch.isfinite(adv).all()


@pytest.mark.parametrize("name", methods.names())
@pytest.mark.parametrize("value", [0.0, 0.1, 1.0])
def test_all_equal_group_gives_zero_advantage(name, value):
    r = torch.full((G,), value)
    m = methods.get(name)
    adv = m.group_advantages(r, inputs_for(r))
    assert not torch.isnan(adv).any()
    if m.acts_on_uniform_groups:  # declared: it re-ranks inside all-equal groups (mean stays 0)
        assert torch.isfinite(adv).all() and abs(float(adv.mean())) < 1e-5
    else:
        assert torch.all(adv == 0), adv


@pytest.mark.parametrize("name", methods.names())
def test_acting_on_uniform_groups_is_declared_not_accidental(name):
    """A group with equal rewards *and* identical extras gives zero advantage for every method."""
    r = torch.ones(G)
    x = GroupInputs(r >= 1, torch.full((G,), -3.0), torch.ones(G, D), torch.full((G,), 5), 16)
    assert torch.all(methods.get(name).group_advantages(r, x) == 0)


@pytest.mark.parametrize("name", methods.names())
@settings(max_examples=20, deadline=None)
@given(rewards=reward_lists, seed=st.integers(0, 10_000), perm_seed=st.integers(0, 10_000))
def test_permutation_equivariant(name, rewards, seed, perm_seed):
    r = torch.tensor(rewards)
    x = inputs_for(r, seed)
    perm = torch.randperm(G, generator=torch.Generator().manual_seed(perm_seed))
    xp = permuted(x, perm)
    m = methods.get(name)
    torch.testing.assert_close(m.group_advantages(r, x)[perm], m.group_advantages(r[perm], xp), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", methods.names())
def test_no_cross_talk_between_groups(name):
    m = methods.get(name)
    a, b = torch.tensor([1.0, 0, 0, 1, 0.1, 0]), torch.tensor([0.0, 1, 1, 1, 0, 0.1])
    xa, xb = inputs_for(a, 1), inputs_for(b, 2)
    batch = concat(xa, xb)
    both = m.batch_advantages(torch.cat([a, b]), G, batch, m.typed())
    torch.testing.assert_close(both[:G], m.group_advantages(a, xa))
    torch.testing.assert_close(both[G:], m.group_advantages(b, xb))
    # changing group b leaves group a untouched
    b2 = torch.tensor([1.0, 1, 1, 0, 0, 0])
    both2 = m.batch_advantages(torch.cat([a, b2]), G, concat(xa, inputs_for(b2, 2)), m.typed())
    torch.testing.assert_close(both2[:G], both[:G])


def test_unknown_method_lists_known_names():
    with pytest.raises(ValueError, match=r"unknown method 'nope'; known methods: .*grpo"):
        methods.get("nope")


def test_unknown_hyperparameter_is_named():
    with pytest.raises(ValueError, match="gama"):
        methods.get("ds").params({"gama": 1})


def test_duplicate_registration_is_refused():
    with pytest.raises(ValueError, match="twice"):
        methods.register(methods.get("grpo"))


# ----------------------------------------------------------------- formulas vs slow loops
def slow_dra(rewards, emb):
    out = []
    for i in range(len(rewards)):
        ei = emb[i] / emb[i].norm()
        smi = sum(float(ei @ (emb[j] / emb[j].norm())) for j in range(len(rewards)) if j != i)
        out.append(float(rewards[i]) / (1 + smi))
    return torch.tensor(out)


@settings(max_examples=30, deadline=None)
@given(reward_lists, st.integers(0, 10_000))
def test_dra_matches_slow_loop(rewards, seed):
    r = torch.tensor(rewards)
    emb = torch.rand(G, D, generator=torch.Generator().manual_seed(seed)) + 0.01
    torch.testing.assert_close(dra_rewards(r, emb), slow_dra(r, emb), atol=1e-5, rtol=1e-5)


def test_dra_with_orthogonal_embeddings_equals_backbone():
    r = torch.tensor([1.0, 0.0, 0.1, 1.0, 0.0, 1.0])
    x = GroupInputs(correct=r >= 1, embeddings=torch.eye(G) * 3.0)
    for backbone in ("grpo", "dr_grpo"):
        torch.testing.assert_close(
            methods.get(f"dra_{backbone}").group_advantages(r, x), methods.get(backbone).group_advantages(r, x)
        )


def test_dra_downweights_duplicates():
    emb = torch.tensor([[1.0, 0], [1.0, 0], [0, 1.0]])
    out = dra_rewards(torch.ones(3), emb)
    assert out[0] == out[1] == pytest.approx(0.5) and out[2] == pytest.approx(1.0)


def slow_ds(adv, correct, logp, gp, gn):
    return torch.tensor([a - gp * l if c else a + gn * l for a, c, l in zip(adv.tolist(), correct.tolist(), logp.tolist())])


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.floats(-3, 3), min_size=G, max_size=G),
    st.lists(st.booleans(), min_size=G, max_size=G),
    st.lists(st.floats(-20, 0), min_size=G, max_size=G),
    st.floats(0, 1),
    st.floats(0, 1),
)
def test_ds_matches_slow_loop(adv, correct, logp, gp, gn):
    a, c, lp = torch.tensor(adv, dtype=torch.float64), torch.tensor(correct), torch.tensor(logp, dtype=torch.float64)
    torch.testing.assert_close(ds_advantages(a, c, lp, gamma_p=gp, gamma_n=gn), slow_ds(a, c, lp, gp, gn).double())


def test_ds_with_zero_gammas_equals_grpo():
    r = torch.tensor([1.0, 0.0, 0.1, 1.0, 0.0, 1.0])
    x = inputs_for(r)
    ds = methods.get("ds").group_advantages(r, x, gamma_p=0.0, gamma_n=0.0)
    torch.testing.assert_close(ds, methods.get("grpo").group_advantages(r, x))


def test_ds_pushes_likely_correct_answers_less():
    r = torch.tensor([1.0, 1.0, 0.0, 0.0])
    x = GroupInputs(correct=r >= 1, logp_old=torch.tensor([-1.0, -5.0, -1.0, -5.0]))
    adv = methods.get("ds").group_advantages(r, x, gamma_p=0.1, gamma_n=0.1)
    assert adv[1] > adv[0]  # the unlikely correct answer gets more credit
    assert adv[3] < adv[2]  # the unlikely wrong answer is pushed down harder


def test_ds_uniform_groups_switch():
    r = torch.zeros(4)
    x = GroupInputs(correct=r >= 1, logp_old=torch.tensor([-1.0, -5.0, -2.0, -3.0]))
    assert torch.all(methods.get("ds").group_advantages(r, x) == 0)
    smoothed = methods.get("ds").group_advantages(r, x, smooth_uniform_groups=True, gamma_n=0.1)
    torch.testing.assert_close(smoothed, 0.1 * x.logp_old)


def test_dr_grpo_has_no_std_scaling():
    r = torch.tensor([1.0, 0.0, 0.0, 0.0])
    x = inputs_for(r)
    torch.testing.assert_close(methods.get("dr_grpo").group_advantages(r, x), r - r.mean())
    grpo = methods.get("grpo").group_advantages(r, x)
    torch.testing.assert_close(grpo, (r - r.mean()) / (r.std() + 1e-4))


def test_dra_paper_mode_reweights_all_correct_groups():
    r = torch.ones(4)
    x = GroupInputs(correct=r >= 1, embeddings=torch.tensor([[1.0, 0], [1.0, 0], [1.0, 0.1], [0, 1.0]]))
    adv = methods.get("dra_grpo").group_advantages(r, x, adjust_uniform_groups=True)
    assert torch.isfinite(adv).all() and adv[3] > 0 > adv[0]  # the distinct answer is favoured
