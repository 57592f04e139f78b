"""Data that are not on the hub are fetched from a pinned URL and kept only when their sha256
matches: divrl.data.download, and the workflow's `download` rule end to end, against a
local HTTP server (the fixture) instead of the internet."""

import functools
import hashlib
import http.server
import json
import subprocess
import sys
import threading

import pytest
import yaml

from divrl.settings.data import Datasets
from divrl.settings.model import parse
from divrl.data import download

# FIPS 180-2 test vector: the sha256 of b"abc", written down, not computed by the code under test
ABC_SHA256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
OTHER_SHA256 = "0" * 64


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # the request log would go to stderr, which a test reads
        pass


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A local HTTP server over a folder holding abc.jsonl (b"abc") and a one-row College Math file."""
    folder = tmp_path_factory.mktemp("served")
    (folder / "abc.jsonl").write_bytes(b"abc")
    row = '{"question": "Simplify: $2+2$", "answer": "$4$", "data_source": "college_math.x"}\n'
    (folder / "test.jsonl").write_text(row)
    handler = functools.partial(_QuietHandler, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", folder
    httpd.shutdown()
    thread.join()


def test_fetch_keeps_the_file_whose_sha256_matches(server, tmp_path):
    base, _ = server
    dest = download.fetch(f"{base}/abc.jsonl", ABC_SHA256, tmp_path / "a" / "abc.jsonl")
    assert dest.read_bytes() == b"abc"
    assert [p.name for p in dest.parent.iterdir()] == ["abc.jsonl"]  # no .part left


def test_wrong_checksum_is_one_line_naming_url_expected_and_actual(server, tmp_path):
    base, _ = server
    url, dest = f"{base}/abc.jsonl", tmp_path / "abc.jsonl"
    with pytest.raises(download.ChecksumError) as err:
        download.fetch(url, OTHER_SHA256, dest)
    message = str(err.value)
    assert "\n" not in message and url in message
    assert f"expected {OTHER_SHA256}" in message and f"got {ABC_SHA256}" in message
    assert list(tmp_path.iterdir()) == []  # neither the file nor its .part


def test_a_file_already_there_with_the_right_checksum_is_not_fetched_again(tmp_path):
    dest = tmp_path / "abc.jsonl"
    dest.write_bytes(b"abc")
    assert download.fetch("http://127.0.0.1:9/unreachable.jsonl", ABC_SHA256, dest) == dest


def test_a_file_there_with_other_bytes_is_replaced(server, tmp_path):
    base, _ = server
    dest = tmp_path / "abc.jsonl"
    dest.write_bytes(b"stale")
    download.fetch(f"{base}/abc.jsonl", ABC_SHA256, dest)
    assert dest.read_bytes() == b"abc"


def test_unreachable_url_is_one_line_naming_it(tmp_path):
    url = "http://127.0.0.1:9/nothing.jsonl"  # the discard port: connection refused
    with pytest.raises(download.DownloadError) as err:
        download.fetch(url, ABC_SHA256, tmp_path / "x.jsonl", timeout_s=5)
    assert "\n" not in str(err.value) and url in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_command_line_exit_status_and_message(server, tmp_path, capsys):
    base, _ = server
    out = tmp_path / "abc.jsonl"
    assert download.main(["--url", f"{base}/abc.jsonl", "--sha256", ABC_SHA256, "--out", str(out)]) == 0
    assert download.main(["--url", f"{base}/abc.jsonl", "--sha256", OTHER_SHA256, "--out", str(tmp_path / "b")]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"download {base}/abc.jsonl: sha256 expected {OTHER_SHA256}, got {ABC_SHA256}"


def test_local_path_is_named_by_the_checksum_and_keeps_the_files_suffix():
    a = download.local_path("https://example.org/x/test.jsonl?raw=1", ABC_SHA256)
    assert a.as_posix() == f"resources/downloads/{ABC_SHA256[:16]}/test.jsonl"
    assert download.local_path("https://mirror.example/test.jsonl", ABC_SHA256) == a  # same bytes, one copy
    assert download.local_path("https://example.org/x/test.jsonl", OTHER_SHA256) != a


def test_pinned_lists_each_file_once():
    college = {"url": "https://example.org/c/test.jsonl", "sha256": ABC_SHA256, "format": "college_math"}
    datasets = parse(Datasets, {"train": [{"source": "openai/gsm8k", "format": "gsm8k"}],
                                "test": {"college_math": college, "again": dict(college),
                                         "gsm8k": {"source": "openai/gsm8k", "format": "gsm8k"}}}, "datasets")
    path = download.local_path(college["url"], ABC_SHA256).as_posix()
    assert download.pinned(datasets) == {path: (college["url"], ABC_SHA256)}
    assert download.pinned(None) == {}  # the toy: generated data


def test_the_data_job_reads_a_data_set_named_by_url(server, tmp_path, monkeypatch):
    """`divrl data` finds the file where the download rule puts it (fetching it itself when run by hand)."""
    from divrl.data.prepare import DataPaths, prepare

    base, folder = server
    college = {"url": f"{base}/test.jsonl", "sha256": hashlib.sha256((folder / "test.jsonl").read_bytes()).hexdigest(),
               "format": "college_math", "template": "qwen_math_boxed"}
    section = {"task": "math", "datasets": {"train": [college], "test": {"college_math": college}}}
    monkeypatch.chdir(tmp_path)  # resources/ is relative to the working directory, as in the workflow
    paths = DataPaths(train=tmp_path / "train.jsonl", stats=tmp_path / "stats.json",
                      tests={"college_math": tmp_path / "test.jsonl"})
    prepare(section, paths)
    rows = [json.loads(line) for line in paths.tests["college_math"].read_text().splitlines()]
    assert [(r["question"], r["answer"]) for r in rows] == [("Simplify: $2+2$", "4")]
    assert rows[0]["id"] == "test.jsonl-train-000000"  # as when the file was staged by hand
    assert (tmp_path / download.local_path(college["url"], college["sha256"])).is_file()


def _r1_config(root, tmp_path, url: str, sha256: str) -> tuple:
    """R1-zero-Div's paper config with College Math served by the fixture."""
    cfg = yaml.safe_load((root / "config/paper/r1_zero_div.yaml").read_text())
    cfg["results"] = str(tmp_path / "results")
    cfg["datasets"]["test"]["college_math"].update(url=url, sha256=sha256)
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg))
    target = download.local_path(url, sha256).as_posix()
    return path, target


@pytest.mark.parametrize("right", [True, False], ids=["pinned bytes", "other bytes"])
def test_the_workflow_download_rule_checks_the_pinned_sha256(root, server, tmp_path, right):
    """The rule runs (Snakemake, working directory tmp_path) and keeps the file only when it is the pinned one."""
    base, folder = server
    served = (folder / "test.jsonl").read_bytes()
    sha = hashlib.sha256(served).hexdigest() if right else OTHER_SHA256
    url = f"{base}/test.jsonl"
    config, target = _r1_config(root, tmp_path, url, sha)
    res = subprocess.run([sys.executable, "-m", "snakemake", target, "--cores", "1", "-s", str(root / "workflow/Snakefile"),
                          "-d", str(tmp_path), "--configfile", str(config)],
                         cwd=root, capture_output=True, text=True, timeout=300)
    log = tmp_path / "results/logs/download" / f"{target}.log"
    if right:
        assert res.returncode == 0, res.stderr[-3000:]
        assert (tmp_path / target).read_bytes() == served
    else:
        assert res.returncode != 0 and not (tmp_path / target).exists()
        lines = log.read_text().strip().splitlines()
        actual = hashlib.sha256(served).hexdigest()
        assert lines == [f"download {url}: sha256 expected {OTHER_SHA256}, got {actual}"]
