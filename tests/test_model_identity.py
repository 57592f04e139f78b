"""A model folder's identity (part of every training fingerprint) is its weights and
configuration: two identical base builds whose sft_log.json timings differ are one model,
so a rebuilt base model does not throw away the training checkpoints made from it."""

import json
import shutil

from divrl.train.checkpoints import fingerprint, model_identity


def _copy(tiny_base, tmp_path, name, seconds):
    out = tmp_path / name
    shutil.copytree(tiny_base, out)
    log = out / "sft_log.json"
    info = json.loads(log.read_text()) if log.exists() else {}
    log.write_text(json.dumps({**info, "seconds": seconds}))
    return out


def test_build_timings_are_not_the_model(tiny_base, tmp_path):
    a, b = _copy(tiny_base, tmp_path, "a", 96.0), _copy(tiny_base, tmp_path, "b", 113.5)
    assert model_identity(str(a)) == model_identity(str(b))
    fp = lambda m: fingerprint("grpo", {}, 0, {"steps": 3}, str(m), [{"id": "p0"}])["digest"]  # noqa: E731
    assert fp(a) == fp(b)


def test_other_weights_are_another_model(tiny_base, tmp_path):
    a, b = _copy(tiny_base, tmp_path, "a", 96.0), _copy(tiny_base, tmp_path, "b", 96.0)
    weights = next(p for p in b.iterdir() if p.suffix == ".safetensors")
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1  # one bit of one weight
    weights.write_bytes(bytes(data))
    assert model_identity(str(a)) != model_identity(str(b))
