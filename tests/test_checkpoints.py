"""Reruns resume only their own run's sound checkpoints (issue #13.1–2).

Unit tests decide plans on hand-made folders; the integration tests train a tiny
model for real: a forced rerun starts fresh, a changed lr starts fresh, a checkpoint
at the final step finishes without another optimizer step, and a damaged newest
checkpoint falls back to the previous one — each ending bit-identical to the
uninterrupted run where it should."""

import json
import logging
from pathlib import Path

import pytest
from safetensors.torch import load_file

from divrl.train import checkpoints as ck
from divrl.train.run import train

from divrl.settings.train import TrainSpec
FP = {"digest": "a" * 64}


def fake_checkpoint(folder: Path, step: int, digest: str = FP["digest"]) -> Path:
    import torch
    from safetensors.torch import save_file

    c = folder / f"checkpoint-{step}"
    c.mkdir(parents=True)
    (c / "trainer_state.json").write_text(json.dumps({"global_step": step}))
    (c / ck.FINGERPRINT).write_text(json.dumps({"digest": digest}))
    save_file({"w": torch.randn(64, 64)}, c / "model.safetensors")
    torch.save({"s": torch.randn(64, 64)}, c / "optimizer.pt")
    return c


def test_newest_sound_checkpoint_of_the_same_run_is_resumed(tmp_path):
    fake_checkpoint(tmp_path, 2)
    fake_checkpoint(tmp_path, 4)
    plan = ck.plan_resume(tmp_path, FP)
    assert plan.resume == str(tmp_path / "checkpoint-4") and plan.moves == []


def test_other_runs_checkpoints_are_set_aside_whole(tmp_path):
    folder = tmp_path / "ck"
    fake_checkpoint(folder, 4, digest="b" * 64)
    plan = ck.plan_resume(folder, FP, now="T")
    assert plan.resume is None
    [(src, dst, why)] = plan.moves
    assert src == folder and dst == tmp_path / "ck.set-aside-T" and "different run" in why
    plan.apply()
    assert not folder.exists() and (dst / "checkpoint-4" / "trainer_state.json").exists()  # moved, not deleted


def test_finished_run_means_forced_rerun(tmp_path):
    folder = tmp_path / "ck"
    fake_checkpoint(folder, 4)
    ck.mark_finished(folder, FP, tmp_path / "out")
    plan = ck.plan_resume(folder, FP, now="T")
    assert plan.resume is None and "forced rerun" in plan.moves[0][2]


@pytest.mark.parametrize("damage", ["trainer_state.json", "model.safetensors", "optimizer.pt", "fingerprint",
                                    "no optimizer", "deepspeed shard"])
def test_damaged_newest_checkpoint_falls_back(tmp_path, damage):
    import torch

    for step in (2, 4):
        fake_checkpoint(tmp_path, step)
    newest = tmp_path / "checkpoint-4"
    if damage == "fingerprint":
        (newest / ck.FINGERPRINT).unlink()  # an old-format checkpoint, or one copied without it
    elif damage == "no optimizer":  # transformers would resume it with fresh Adam moments, silently
        (newest / "optimizer.pt").unlink()
    elif damage == "deepspeed shard":  # ZeRO keeps the optimizer in global_step*/; check inside
        (newest / "optimizer.pt").unlink()
        shard = newest / "global_step4" / "bf16_zero_pp_rank_0_mp_rank_00_optim_states.pt"
        shard.parent.mkdir()
        torch.save({"s": torch.randn(64, 64)}, shard)
        shard.write_bytes(shard.read_bytes()[:200])
    else:
        path = newest / damage
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    plan = ck.plan_resume(tmp_path, FP, now="T")
    assert plan.resume == str(tmp_path / "checkpoint-2")
    [(src, dst, why)] = plan.moves
    assert src == newest and dst == tmp_path / ck.SET_ASIDE / "checkpoint-4-T"
    named = {"fingerprint": ck.FINGERPRINT, "no optimizer": "optimizer state", "deepspeed shard": "optim_states.pt"}
    assert named.get(damage, damage) in why and "\n" not in why


def test_fingerprint_covers_what_determines_the_run(tmp_path):
    model = tmp_path / "m"
    model.mkdir()
    (model / "model.safetensors").write_bytes(b"x" * 100)
    base = ck.fingerprint("ds", {"gamma_p": 0.1}, 0, {"lr": 1e-4, "save_steps": 5}, str(model), [{"id": 1}])
    same = ck.fingerprint("ds", {"gamma_p": 0.1}, 0, {"lr": 1e-4, "save_steps": 50}, str(model), [{"id": 1}])
    assert base["digest"] == same["digest"]  # how often we save does not change the model
    changes = [
        ck.fingerprint("grpo", {"gamma_p": 0.1}, 0, {"lr": 1e-4}, str(model), [{"id": 1}]),
        ck.fingerprint("ds", {"gamma_p": 0.2}, 0, {"lr": 1e-4}, str(model), [{"id": 1}]),
        ck.fingerprint("ds", {"gamma_p": 0.1}, 1, {"lr": 1e-4}, str(model), [{"id": 1}]),
        ck.fingerprint("ds", {"gamma_p": 0.1}, 0, {"lr": 2e-4}, str(model), [{"id": 1}]),
        ck.fingerprint("ds", {"gamma_p": 0.1}, 0, {"lr": 1e-4}, str(model), [{"id": 2}]),
    ]
    (model / "model.safetensors").write_bytes(b"y" * 100)
    changes.append(ck.fingerprint("ds", {"gamma_p": 0.1}, 0, {"lr": 1e-4}, str(model), [{"id": 1}]))
    assert len({c["digest"] for c in changes} | {base["digest"]}) == len(changes) + 1


# ----------------------------------------------------------------- real training
SPEC = dict(steps=4, prompts_per_step=2, num_generations=4, save_steps=2, logging_steps=1, device="cpu")


def run(tmp_path, base, problems, name, **overrides):
    return train("ds", {}, 3, TrainSpec(**{**SPEC, **overrides}), str(base), problems,
                 tmp_path / name / "model", tmp_path / name / "train_log.json", tmp_path / "ck")


def weights(tmp_path, name):
    return load_file(tmp_path / name / "model" / "model.safetensors")


def same(a, b):
    return a.keys() == b.keys() and all((a[k] == b[k]).all() for k in a)


def test_reruns_resume_only_what_they_should(tiny_base, tiny_problems, tmp_path, caplog):
    import torch

    torch.set_num_threads(1)
    caplog.set_level(logging.INFO)
    problems = tiny_problems["train"]
    first = run(tmp_path, tiny_base, problems, "a")
    assert first["global_step"] == 4 and first["resumed_from"] is None

    # --forcerun after it finished: fresh, old checkpoints kept aside, same model (deterministic)
    forced = run(tmp_path, tiny_base, problems, "b")
    assert forced["resumed_from"] is None and forced["global_step"] == 4
    assert "forced rerun" in forced["set_aside"][0]["why"] and Path(forced["set_aside"][0]["to"]).is_dir()
    assert same(weights(tmp_path, "a"), weights(tmp_path, "b"))

    # killed after the final checkpoint, before its outputs: finish without another step
    (tmp_path / "ck" / ck.FINISHED).unlink()
    final = run(tmp_path, tiny_base, problems, "c")
    assert final["resumed_from"].endswith("checkpoint-4") and final["global_step"] == 4
    assert same(weights(tmp_path, "a"), weights(tmp_path, "c"))
    assert any("final step" in r.getMessage() for r in caplog.records)

    # the newest checkpoint damaged: fall back to checkpoint-2 and end where the run ends
    (tmp_path / "ck" / ck.FINISHED).unlink()
    damaged = tmp_path / "ck" / "checkpoint-4" / "model.safetensors"
    damaged.write_bytes(damaged.read_bytes()[:100])
    fallback = run(tmp_path, tiny_base, problems, "d")
    assert fallback["resumed_from"].endswith("checkpoint-2") and fallback["global_step"] == 4
    assert "model.safetensors" in fallback["set_aside"][0]["why"]
    assert same(weights(tmp_path, "a"), weights(tmp_path, "d"))

    # a changed lr (Snakemake reruns the job): the old run's checkpoints are not resumed
    (tmp_path / "ck" / ck.FINISHED).unlink()
    changed = run(tmp_path, tiny_base, problems, "e", lr=3e-4)
    assert changed["resumed_from"] is None and "different run" in changed["set_aside"][0]["why"]
    assert not same(weights(tmp_path, "a"), weights(tmp_path, "e"))
    assert changed["spec"]["lr"] == 3e-4


def test_fingerprint_ignores_what_an_out_of_memory_rerun_changes(tmp_path):
    model = tmp_path / "m"
    model.mkdir()
    (model / "model.safetensors").write_bytes(b"x")
    a = ck.fingerprint("ds", {}, 0, {"lr": 1e-4, "gradient_checkpointing": False, "vllm_gpu_memory_utilization": 0.3},
                       str(model), [])
    b = ck.fingerprint("ds", {}, 0, {"lr": 1e-4, "gradient_checkpointing": True, "vllm_gpu_memory_utilization": 0.5},
                       str(model), [])
    assert a["digest"] == b["digest"] and a["code"] == ck.code_digest()


def test_two_set_asides_in_one_second_do_not_collide(tmp_path):
    folder = tmp_path / "ck"
    for _ in range(2):
        fake_checkpoint(folder, 4)
        ck.mark_finished(folder, FP, tmp_path / "out")
        ck.plan_resume(folder, FP, now="T").apply()
    assert (tmp_path / "ck.set-aside-T").is_dir() and (tmp_path / "ck.set-aside-T.1").is_dir()
