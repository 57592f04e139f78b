"""Damaged evaluation files (#23 probe 6): a truncated part is set aside and resampled by the
resumed shard job; a truncated shard file stops the merge in one line naming it, set aside, and
the next run samples that shard again. Before: "Parquet magic bytes not found in footer",
naming no file, on every rerun."""

import logging

import pyarrow as pa
import pytest

from divrl.eval import store
from divrl.eval.evaluate import EvalSpec, merge, sample_shard

SPEC = EvalSpec(n_samples=8, diversity_samples=4, div_equ_samples=4, batch_size=8, max_new_tokens=8, chunk_problems=2)


def frame(path):
    return pa.concat_tables(store.row_groups(path)).to_pandas()


def truncate(path, keep=0.5):
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def corrupt_middle(path):
    """Footer intact, a page's bytes flipped: only a full read finds it."""
    data = bytearray(path.read_bytes())
    for i in range(8, len(data) // 2):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [truncate, corrupt_middle])
def test_a_damaged_part_is_set_aside_and_sampled_again(tiny_base, tiny_problems, tmp_path, monkeypatch, caplog, damage):
    import divrl.eval.evaluate as ev

    problems = tiny_problems["test"][:6]
    whole = sample_shard(str(tiny_base), problems, SPEC, tmp_path / "whole/samples/0-of-1.parquet")
    # a killed job left its three parts; the second is damaged (a kill mid-copy, a bad disk)
    out = tmp_path / "run/samples/0-of-1.parquet"
    parts = out.with_name(".0-of-1.parquet.parts")
    real = ev.sampler
    monkeypatch.setattr(store, "write", _fail_on(out, store.write))
    with pytest.raises(KeyboardInterrupt):  # killed after its three parts, while copying them into the file
        sample_shard(str(tiny_base), problems, SPEC, out)
    assert sorted(p.name for p in parts.glob("*.parquet")) == ["0000000.parquet", "0000002.parquet", "0000004.parquet"]
    damage(parts / "0000002.parquet")
    monkeypatch.undo()
    calls = []
    monkeypatch.setattr(ev, "sampler", lambda m, s: (lambda p, k: calls.append(list(k)) or real(m, s)(p, k)))
    with caplog.at_level(logging.WARNING):
        resumed = sample_shard(str(tiny_base), problems, SPEC, out)
    assert calls == [[str(p["id"]) for p in problems[2:4]]]  # only the damaged part sampled again
    assert frame(resumed).equals(frame(whole))
    aside = out.parent / "set_aside/0-of-1.parquet.part0000002.parquet"
    assert aside.exists()
    lines = [r.getMessage() for r in caplog.records if "set aside" in r.getMessage()]
    assert len(lines) == 1 and "0000002.parquet: damaged samples file" in lines[0] and str(aside) in lines[0]


def _fail_on(final, write):
    """store.write that writes the parts but is killed when it copies them into `final`."""
    def fn(path, tables, meta):
        if str(path) == str(final):
            raise KeyboardInterrupt("killed at the copy")
        return write(path, tables, meta)
    return fn


def test_a_damaged_shard_stops_the_merge_in_one_line_and_is_set_aside(tiny_base, tiny_problems, tmp_path):
    problems = tiny_problems["test"][:6]
    files = [tmp_path / f"samples/{i}-of-2.parquet" for i in range(2)]
    for i, f in enumerate(files):
        sample_shard(str(tiny_base), problems, SPEC, f, i, 2)
    good = merge(problems, SPEC, files, tmp_path / "good.json")
    for damage in (truncate, corrupt_middle):
        keep = files[1].read_bytes()
        damage(files[1])
        with pytest.raises(ValueError) as err:
            merge(problems, SPEC, files, tmp_path / "metrics.json")
        text = str(err.value)
        assert "\n" not in text and str(files[1]) in text and "damaged samples file" in text
        assert "rerun snakemake to sample that shard again" in text
        assert not files[1].exists() and list((tmp_path / "samples/set_aside").glob("1-of-2.parquet*"))
        assert not (tmp_path / "metrics.json").exists()
        files[1].write_bytes(keep)  # the shard job's rerun
    again = merge(problems, SPEC, files, tmp_path / "metrics.json")
    assert again["pass_at_k"] == good["pass_at_k"]
