"""Which checkpoint a train job may resume, and what it must set aside first.

A train job reruns for three reasons, and only one of them may resume:
- it was killed (SIGKILL, preemption): resume the newest *sound* checkpoint;
- its configuration changed (Snakemake reran it because a parameter changed): the
  checkpoints belong to another run — resuming would silently mix two runs;
- it was forced (`--forcerun`) after it had finished: start from scratch.

So every checkpoint carries a fingerprint of everything that determines the run
(method and hyperparameters, seed, the train section, the base model's files and the
training problems), and a finished run leaves a marker. Nothing is ever deleted:
checkpoints of another run are moved to a sibling folder `<dir>.set-aside-<time>`,
a damaged checkpoint to `<dir>/set_aside/`, each with one log line naming why.

A checkpoint is sound when `trainer_state.json` parses, it holds weights and optimizer
state, every safetensors header covers its file, and every torch pickle (`*.pt`,
`*.pth`, `*.bin`, DeepSpeed's shards included) is a readable zip:
this catches the truncation a kill or a full disk leaves behind, without loading
gigabytes. transformers writes `trainer_state.json` last, so a folder without it
was killed while saving.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from divrl.settings.model import neutral_keys
from divrl.settings.train import Train

log = logging.getLogger(__name__)

FINGERPRINT = "divrl_fingerprint.json"  # in every checkpoint-N
FINISHED = "divrl_finished.json"  # in the checkpoint folder once the run's outputs are written
SET_ASIDE = "set_aside"  # damaged checkpoints, inside the checkpoint folder
_FULL_HASH_BYTES = 64 << 20  # files up to 64 MiB are hashed whole
_EDGE_BYTES = 8 << 20  # larger ones: size + first and last 8 MiB (a changed model changes both)


# ----------------------------------------------------------------- fingerprint
def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    size = path.stat().st_size
    h.update(str(size).encode())
    with path.open("rb") as f:
        if size <= _FULL_HASH_BYTES:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        else:
            h.update(f.read(_EDGE_BYTES))
            f.seek(size - _EDGE_BYTES)
            h.update(f.read(_EDGE_BYTES))
    return h.hexdigest()


# Files in a model folder that record how it was made (wall-clock seconds), not what it is:
# two identical base builds must not invalidate each other's training checkpoints.
_NOT_THE_MODEL = ("sft_log.json",)


def model_identity(model: str) -> dict:
    """A local model folder by its files' contents (not its path: a moved folder is the
    same model; not its build log, whose timings differ between identical builds); a hub
    id by its id and, when cached, the snapshot it resolves to."""
    path = Path(model).expanduser()
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.name not in _NOT_THE_MODEL)
        return {"files": {str(p.relative_to(path)): file_digest(p) for p in files}}
    return {"hub_id": model, "revision": _cached_revision(model)}


def _cached_revision(repo_id: str) -> Optional[str]:
    try:
        from huggingface_hub.constants import HF_HUB_CACHE
    except ImportError:  # pragma: no cover - huggingface_hub comes with transformers
        return None
    ref = Path(HF_HUB_CACHE) / f"models--{repo_id.replace('/', '--')}" / "refs" / "main"
    return ref.read_text().strip() if ref.is_file() else None


# Settings that change how a run is carried out or logged, not what it computes (marked
# `neutral` in settings.train): a user turns these after an out-of-memory kill, and must
# not lose the run's checkpoints.
_NOT_THE_RUN = neutral_keys(Train)
# The code that decides what a training step computes: methods, trainer and its rollouts,
# task rewards. A bug fixed there between a kill and its rerun must not be resumed over.
_CODE = ("methods", "train", "sampling", "tasks")


def code_digest() -> str:
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for part in _CODE:
        for path in sorted((root / part).rglob("*.py")):
            h.update(str(path.relative_to(root)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def fingerprint(method: str, params: dict, seed: int, train_section: dict, base_model: str, problems: list) -> dict:
    """Everything that determines a training run; equal fingerprints ⇒ the same run."""
    data = hashlib.sha256(json.dumps(problems, sort_keys=True).encode()).hexdigest()
    # where and how often we log or save does not change the trained model
    train = {k: v for k, v in sorted(train_section.items()) if k not in _NOT_THE_RUN}
    body = {"method": method, "params": params, "seed": seed, "train": train,
            "base_model": model_identity(base_model), "train_problems": data, "code": code_digest()}
    body["digest"] = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
    return body


def write_fingerprint(checkpoint: Path, fp: dict) -> None:
    (Path(checkpoint) / FINGERPRINT).write_text(json.dumps(fp, indent=1, default=str))


def _stored_digest(checkpoint: Path) -> Optional[str]:
    try:
        return json.loads((checkpoint / FINGERPRINT).read_text())["digest"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


# ----------------------------------------------------------------- soundness
def checkpoint_problem(checkpoint: Path) -> Optional[str]:
    """Why a checkpoint cannot be resumed (one phrase naming the file), or None if sound."""
    state = checkpoint / "trainer_state.json"
    if not state.is_file():
        return f"{state.name} missing (killed while saving?)"
    try:
        step = json.loads(state.read_text()).get("global_step")
    except (OSError, ValueError) as err:
        return f"{state} is not valid JSON ({err})"
    if not isinstance(step, int):
        return f"{state} has no integer global_step"
    missing = _missing_parts(checkpoint)
    if missing:
        return f"{checkpoint} has no {missing} (transformers would silently start it afresh)"
    for path in sorted(p for p in checkpoint.rglob("*") if p.is_file()):  # DeepSpeed keeps shards in global_step*/
        problem = _file_problem(path)
        if problem:
            return f"{path} {problem}"
    return None


def _missing_parts(checkpoint: Path) -> Optional[str]:
    """What a resumable checkpoint must hold: weights, and the optimizer (optimizer.pt,
    or DeepSpeed's global_step*/ shards). Without them transformers resumes anyway,
    with fresh Adam moments — different numbers, no error."""
    if not any(checkpoint.glob("model*.safetensors")) and not any(checkpoint.glob("pytorch_model*.bin")):
        return "model weights"
    if not (checkpoint / "optimizer.pt").is_file() and not any(checkpoint.glob("global_step*")):
        return "optimizer state"
    return None


def _file_problem(path: Path) -> Optional[str]:
    if path.suffix == ".safetensors":
        from safetensors import safe_open

        try:
            with safe_open(str(path), "pt") as f:
                f.keys()
        except Exception as err:  # safetensors raises its own error type for every damage
            return f"is damaged ({str(err).splitlines()[0]})"
    elif path.suffix in (".pt", ".pth", ".bin"):
        try:
            with zipfile.ZipFile(path):  # torch.save's format; a truncated file loses its directory
                pass
        except (zipfile.BadZipFile, OSError) as err:
            return f"is damaged ({err})"
    return None


def global_step(checkpoint: str | Path) -> int:
    return int(json.loads((Path(checkpoint) / "trainer_state.json").read_text())["global_step"])


# ----------------------------------------------------------------- the decision
@dataclass
class ResumePlan:
    """What to resume, and the moves (source, target, reason) to make first."""

    resume: Optional[str] = None
    moves: list = field(default_factory=list)

    def apply(self) -> None:
        """Carry out the moves (main process only), one log line each."""
        for i, (source, target, reason) in enumerate(self.moves):
            target.parent.mkdir(parents=True, exist_ok=True)
            target = _free_name(target)  # two reruns within one second share a time stamp
            source.rename(target)
            self.moves[i] = (source, target, reason)
            log.warning("%s: %s; set aside as %s", source, reason, target)


def _free_name(target: Path) -> Path:
    n, free = 1, target
    while free.exists():
        free = target.with_name(f"{target.name}.{n}")
        n += 1
    return free


def _numbered(folder: Path) -> list[Path]:
    found = [p for p in folder.glob("checkpoint-*") if p.is_dir() and p.name.split("-")[-1].isdigit()]
    return sorted(found, key=lambda p: int(p.name.split("-")[-1]), reverse=True)


def plan_resume(folder: str | Path, fp: dict, now: Optional[str] = None) -> ResumePlan:
    """Decide from the folder's contents alone (every process reaches the same plan)."""
    folder = Path(folder)
    stamp = now or time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    plan = ResumePlan()
    if not folder.is_dir():
        return plan
    whole = folder.with_name(f"{folder.name}.set-aside-{stamp}")
    if (folder / FINISHED).is_file():
        plan.moves.append((folder, whole, "that run had finished, so this one is a forced rerun: training from scratch"))
        return plan
    for ckpt in _numbered(folder):
        problem = checkpoint_problem(ckpt)
        if problem is None:
            stored = _stored_digest(ckpt)
            if stored is None:
                problem = f"{ckpt / FINGERPRINT} missing or unreadable"
            elif stored != fp["digest"]:
                reason = (f"checkpoints of a different run (method, hyperparameters, seed, train section, base model "
                          f"or training data changed; fingerprint {stored[:12]} ≠ {fp['digest'][:12]}): training from scratch")
                plan.moves = [(folder, whole, reason)]
                return plan
            else:
                plan.resume = str(ckpt)
                return plan
        plan.moves.append((ckpt, folder / SET_ASIDE / f"{ckpt.name}-{stamp}", f"cannot be resumed: {problem}"))
    return plan


def mark_finished(folder: str | Path, fp: dict, out_dir: str | Path) -> None:
    """After the outputs are written: a later run of this job is a forced rerun."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    info = {"digest": fp["digest"], "outputs": str(out_dir), "finished_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    (folder / FINISHED).write_text(json.dumps(info, indent=1))
