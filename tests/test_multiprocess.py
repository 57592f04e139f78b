"""Training on several processes, as the papers' multi-GPU runs do (`accelerate launch`).

Real 2-process runs on CPU (torch.distributed over gloo) with G=8 completions per
prompt and 4 per process: every group is split across the two processes. The method
hooks are per-group, so they must see whole groups; the trainer gathers rewards,
embeddings and old log-probs before calling them. The probe run checks exactly that:
the advantages each process trains on equal its slice of `method.batch_advantages`
over the whole batch, recomputed independently (rewards and embeddings from the
gathered text, log-probs from one unpadded forward per sequence), so a gather out of
order or a per-process hook call fails it.

Launching: `accelerate launch --cpu --num_processes 2` starts *one* process (without
an MPI hostfile accelerate's simple launcher ignores num_processes; divrl then stops
with "generation_batch_size (4) must be divisible by num_generations (8)"). So the
runs use config/accelerate/ddp.yaml, as a GPU rule would, and `train.device: cpu`
makes each process use the CPU and gloo. A free port per run keeps parallel test
sessions apart. This file is also the probe's entry point (`__main__` below).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROBE_DIR_ENV = "DIVRL_TEST_PROBE_DIR"
TIMEOUT_S = 600


# ------------------------------------------------------------------ launching
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _launch(program: list[str], train_args: list[str], env: dict | None = None) -> subprocess.CompletedProcess:
    """`accelerate launch` with 2 CPU processes, as a multi-GPU rule would launch divrl."""
    cmd = [
        sys.executable, "-m", "accelerate.commands.launch",
        "--config_file", str(ROOT / "config/accelerate/ddp.yaml"),
        "--num_processes", "2", "--num_machines", "1", "--mixed_precision", "no",
        "--main_process_ip", "127.0.0.1", "--main_process_port", str(_free_port()),
        *program, *train_args,
    ]
    full_env = {
        **os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
        "OMP_NUM_THREADS": "1",  # two processes on a small shared machine
        **(env or {}),
    }
    return subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, env=full_env, cwd=ROOT)


def _train_args(tmp: Path, tiny_base, tiny_problems, method: str, spec: dict) -> list[str]:
    problems = tmp / "train.jsonl"
    problems.write_text("".join(json.dumps(row) + "\n" for row in tiny_problems["train"]))
    params = {"steps": 2, "max_completion_length": 16, "logging_steps": 1, "device": "cpu", **spec}
    return [
        "train", "--params", json.dumps(params), "--method", method, "--seed", "0", "--base", str(tiny_base),
        "--problems", str(problems), "--model-out", str(tmp / "out/model"), "--log-out", str(tmp / "out/train_log.json"),
        "--checkpoints", str(tmp / "ck"),
    ]


def _ok(res: subprocess.CompletedProcess) -> None:
    assert res.returncode == 0, f"accelerate launch failed ({res.returncode}):\n{res.stderr[-4000:]}"


# ------------------------------------------------------------------ tests
@pytest.mark.parametrize("name", ["ddp", "zero2", "zero2_offload"])
def test_accelerate_configs_load(name):
    from accelerate.commands.config.config_args import load_config_from_file

    cfg = load_config_from_file(str(ROOT / f"config/accelerate/{name}.yaml"))
    assert cfg.mixed_precision == "bf16" and not cfg.use_cpu
    if name.startswith("zero2"):
        assert cfg.deepspeed_config["zero_stage"] == 2
        assert cfg.deepspeed_config["offload_optimizer_device"] == ("cpu" if name.endswith("offload") else "none")


@pytest.mark.slow
@pytest.mark.parametrize("method", ["dra_grpo", "ds"])  # embeddings; old log-probs
def test_cli_training_on_two_processes(method, tiny_base, tiny_problems, tmp_path):
    # per-device 4 with G=8 only works with 2 processes: success proves both ran
    spec = {"num_generations": 8, "per_device_batch_size": 4, "save_steps": 2}
    res = _launch(["-m", "divrl"], _train_args(tmp_path, tiny_base, tiny_problems, method, spec))
    _ok(res)
    assert (tmp_path / "out/model/model.safetensors").exists()
    assert (tmp_path / "ck/checkpoint-2/trainer_state.json").exists()
    info = json.loads((tmp_path / "out/train_log.json").read_text())
    assert info["method"] == method and info["spec"]["per_device_batch_size"] == 4
    assert any("advantage_abs_mean" in h for h in info["log_history"]), "the method hook did not run"


@pytest.mark.parametrize(
    "method,group,per_device",
    [
        ("dra_grpo", 8, 4),  # one group per step, split 4 | 4 (~15 s: the one multi-process run kept fast)
        pytest.param("ds", 8, 4, marks=pytest.mark.slow),
        # three groups per step: rank 0 holds A A A A B B, rank 1 B B C C C C
        pytest.param("dra_grpo", 4, 6, marks=pytest.mark.slow),
    ],
)
def test_method_hooks_see_whole_groups(method, group, per_device, tiny_base, tiny_problems, tmp_path):
    spec = {"num_generations": group, "per_device_batch_size": per_device, "save_steps": 100}
    args = _train_args(tmp_path, tiny_base, tiny_problems, method, spec)
    _ok(_launch([__file__], args, {PROBE_DIR_ENV: str(tmp_path / "probe")}))
    ranks = [json.loads((tmp_path / f"probe/rank{r}.json").read_text()) for r in (0, 1)]
    assert len(ranks[0]) == len(ranks[1]) == 2  # one generation batch per step

    for step0, step1 in zip(*ranks):
        for rec in (step0, step1):
            assert rec["world"] == 2 and rec["n_local"] == per_device
            assert rec["hook_calls"] == [{"n": 2 * per_device, "group_size": group}], "hook did not get the whole batch"
            # what the process trains on == the method over the whole gathered batch, this process's slice
            assert rec["used"] == pytest.approx(rec["expected"], abs=1e-4)
            assert rec["hook_full"] == pytest.approx(rec["expected_full"], abs=1e-4)
        assert step0["hook_full"] == pytest.approx(step1["hook_full"], abs=1e-6)  # both ranks agree
        # the groups really were split: the boundary group's prompt is on both ranks
        assert step0["prompts_local"][-1] == step1["prompts_local"][0]
        # ranks sample with different seeds: a split group is not one half drawn twice
        assert step0["texts_local"][-2:] != step1["texts_local"][:2]
        full_prompts = step0["prompts_local"] + step1["prompts_local"]
        assert all(len(set(full_prompts[i : i + group])) == 1 for i in range(0, len(full_prompts), group))
    assert any(abs(a) > 1e-3 for step in ranks[0] for a in step["expected_full"]), "all advantages zero: test is vacuous"


# ------------------------------------------------------------------ the probe (runs inside each process)
def probe_reward(prompts, completions, **_) -> list[float]:
    """Deterministic in the text and varied within a group (the tiny model is rarely correct)."""
    return [1.0 if len(c) % 3 == 0 else 0.1 * (len(c) % 2) for c in completions]


class _Recorder:
    """A method that notes what its batch hook receives; everything else is the method's."""

    def __init__(self, method):
        self.inner, self.calls = method, []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def batch_advantages(self, rewards, group_size, inputs, hp):
        adv = self.inner.batch_advantages(rewards, group_size, inputs, hp)
        self.calls.append({"n": rewards.numel(), "group_size": group_size, "advantages": adv.tolist()})
        return adv


def _probe_trainer(dump_dir: Path):
    import torch
    from accelerate.utils import gather, gather_object

    from divrl.models import embedding
    from divrl.methods import GroupInputs
    from divrl.train.trainer import MethodGRPOTrainer

    class ProbeTrainer(MethodGRPOTrainer):
        """Recomputes every step's advantages independently, from the gathered text."""

        def __init__(self, *args, **kw):
            super().__init__(*args, **{**kw, "reward_funcs": [probe_reward]})
            self.method = _Recorder(self.method)
            self.records: list[dict] = []

        def _generate_and_score_completions(self, inputs):
            self.method.calls = []
            out = super()._generate_and_score_completions(inputs)
            self.records.append(self._check(inputs, out))
            path = dump_dir / f"rank{self.accelerator.process_index}.json"
            path.write_text(json.dumps(self.records))
            return out

        def _check(self, inputs, out) -> dict:
            rank, n_local = self.accelerator.process_index, len(inputs)
            texts = gather_object(list(self._completions))  # all processes, in process order
            prompts = gather_object([x["prompt"] for x in inputs])
            rewards = torch.tensor(probe_reward(prompts, texts), dtype=torch.float32)
            needs = self.method.needs
            group = GroupInputs(
                correct=rewards >= self.correct_reward,
                lengths=gather(out["completion_mask"].sum(dim=1)).cpu(),
                max_length=self.args.max_completion_length,
                embeddings=embedding.embed(texts, self.embed.name) if "embeddings" in needs else None,
                logp_old=gather(self._logp_unpadded(out)).cpu() if "logp_old" in needs else None,
            )
            adv = self.method.inner.batch_advantages(rewards, self.num_generations, group, self.hyperparameters)
            local = slice(rank * n_local, (rank + 1) * n_local)
            return {
                "world": self.accelerator.num_processes,
                "n_local": n_local,
                "prompts_local": [x["prompt"] for x in inputs],
                "texts_local": list(self._completions),
                "hook_calls": [{k: c[k] for k in ("n", "group_size")} for c in self.method.calls],
                "hook_full": self.method.calls[-1]["advantages"],
                "used": out["advantages"].tolist(),
                "expected": adv[local].tolist(),
                "expected_full": adv.tolist(),
            }

        @torch.no_grad()
        def _logp_unpadded(self, out) -> torch.Tensor:
            """log π(y) of each local completion, one unpadded sequence at a time."""
            model = self.accelerator.unwrap_model(self.model)
            values = []
            for p_ids, p_mask, c_ids, c_mask in zip(
                out["prompt_ids"], out["prompt_mask"], out["completion_ids"], out["completion_mask"]
            ):
                prompt, completion = p_ids[p_mask.bool()], c_ids[c_mask.bool()]
                logits = model(input_ids=torch.cat([prompt, completion]).unsqueeze(0)).logits[0].float()
                logits = logits[len(prompt) - 1 : -1] / self.temperature
                logp = torch.log_softmax(logits, dim=-1).gather(1, completion.unsqueeze(1)).sum()
                if self.hyperparameters.logp_reduction() == "mean":
                    logp = logp / max(len(completion), 1)
                values.append(logp)
            return torch.stack(values)

    return ProbeTrainer


def _probe_main(argv: list[str]) -> int:
    """`divrl train …` with the probe trainer (and its reward) in place of the real one."""
    from divrl.cli import main
    from divrl.train import run

    dump_dir = Path(os.environ[PROBE_DIR_ENV])
    dump_dir.mkdir(parents=True, exist_ok=True)
    run.MethodGRPOTrainer = _probe_trainer(dump_dir)
    return main(argv)


if __name__ == "__main__":
    sys.exit(_probe_main(sys.argv[1:]))
