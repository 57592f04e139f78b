"""`divrl readme`: copy a generated table into README.md between its markers, and figures to docs/."""

from __future__ import annotations

import shutil
from pathlib import Path


def insert(table: str, readme_path: str, marker: str, figure_names: list[str]) -> None:
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    readme = Path(readme_path).read_text()
    if start not in readme or end not in readme:
        raise ValueError(f"{readme_path}: markers {start} … {end} not found")
    text = Path(table).read_text().strip()
    head, rest = readme.split(start, 1)
    _, tail = rest.split(end, 1)
    Path(readme_path).write_text(f"{head}{start}\n{text}\n{end}{tail}")
    print(f"{readme_path}: {table} inserted between the {marker} markers")
    figures = Path(table).parent.parent / "figures"
    docs = Path(readme_path).parent / "docs"
    docs.mkdir(exist_ok=True)
    for name in figure_names:
        target = docs / f"{marker}_{name}.png"
        shutil.copy(figures / f"{name}.png", target)
        print(f"{target}: copied from {figures / name}.png")
