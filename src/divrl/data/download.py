"""Fetch a data file that is not on the hub: a pinned URL, checked against its sha256.

A paper's test set sometimes lives only in a repository (R1-zero-Div's College Math is
Qwen2.5-Math's `evaluation/data/college_math/test.jsonl`). The config names it by `url`
and `sha256` instead of `source`; the workflow's `download` rule fetches it to
`local_path(url, sha256)` before the data job (which reads it from there), so a fresh
clone runs without a hand-staged file, and a file that changed upstream (or a proxy's
error page) is refused instead of being evaluated. The folder is named by the checksum:
two configs pinning the same bytes share one copy, two pins of a URL never collide.

The file is written under a temporary name (divrl.system.atomic) and renamed only after its
checksum matched: an interrupted or refused download never leaves a file the data job
would take as done.
Run as `python -m divrl.data.download --url URL --sha256 HEX --out DEST`.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import urllib.parse
import urllib.request
from pathlib import Path, PurePosixPath

from divrl.system.atomic import replacing

CHUNK = 1 << 20
TIMEOUT_S = 60
# relative to the working directory, as Snakemake's outputs are (Snakemake's layout keeps
# fetched inputs under resources/, apart from results/)
DOWNLOADS = Path("resources/downloads")


class DownloadError(RuntimeError):
    """The file could not be fetched (one line naming the URL)."""


class ChecksumError(DownloadError):
    """The downloaded bytes are not the pinned file."""


def local_path(url: str, sha256: str) -> Path:
    """Where the file pinned by (url, sha256) is kept: resources/downloads/SHA[:16]/NAME,
    NAME the URL's last path part (its suffix tells the data job how to read it)."""
    name = PurePosixPath(urllib.parse.urlsplit(url).path).name or "data"
    return DOWNLOADS / sha256.lower()[:16] / name


def pinned(datasets) -> dict[str, tuple[str, str]]:
    """local path -> (url, sha256) of every data set a config's typed `datasets`
    (settings.data.Datasets) names by url: what the workflow's `download` rule fetches
    (None, the toy, has none)."""
    sources = [*datasets.train, *datasets.test.values()] if datasets else []
    return {str(local_path(s.url, s.sha256)): (s.url, s.sha256) for s in sources if s.url}


def sha256_of(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(url: str, sha256: str, dest: str | Path, *, timeout_s: float = TIMEOUT_S) -> Path:
    """`dest` holding the bytes served at `url`, whose sha256 must be `sha256` (lower-case hex).

    A `dest` that already has the right checksum is kept (nothing is downloaded). Raises
    ChecksumError, one line naming the URL and both checksums, when the bytes differ, and
    DownloadError naming the URL when it cannot be read; no partial file is left either way.
    """
    dest, want = Path(dest), sha256.lower()
    if dest.is_file() and sha256_of(dest) == want:
        return dest
    digest = hashlib.sha256()
    with replacing(dest) as part:  # renamed onto dest only when the block ends without an error
        try:
            with urllib.request.urlopen(url, timeout=timeout_s) as response, open(part, "wb") as out:
                for block in iter(lambda: response.read(CHUNK), b""):
                    digest.update(block)
                    out.write(block)
        except OSError as err:  # URLError, HTTPError, timeouts, a full disk
            raise DownloadError(f"download {url}: {getattr(err, 'reason', None) or err}") from None
        got = digest.hexdigest()
        if got != want:
            raise ChecksumError(f"download {url}: sha256 expected {want}, got {got}")
    return dest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m divrl.data.download", description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--sha256", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    try:
        fetch(args.url, args.sha256, args.out)
    except DownloadError as err:
        sys.stderr.write(f"{err}\n")
        return 1
    print(f"{args.out}: sha256 {args.sha256} ({args.url})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
