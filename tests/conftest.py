import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def tiny_problems():
    from divrl.data.countdown_data import generate

    from divrl.settings.data import DataSpec
    return generate(DataSpec(max_number=9, max_target=30, n_test=8, seed=0))


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory, tiny_problems):
    """A real (tiny, barely trained) base model in the save_pretrained layout."""
    from divrl.models.tiny import pretrain

    from divrl.settings.base_model import TinySpec
    out = tmp_path_factory.mktemp("base") / "model"
    pretrain(tiny_problems["train"], TinySpec(hidden_size=32, num_layers=1, sft_steps=20, batch_size=32, warmup_steps=2,
                                                  max_positions=1024), out)
    return out
