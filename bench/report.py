"""Medians per size, indexed vs naive, and their ratio, from a pytest-benchmark JSON file.

    .venv/bin/pytest bench --benchmark-only --benchmark-json bench/.data/latest.json
    .venv/bin/python bench/report.py bench/.data/latest.json

Prints a Markdown table (the one in docs/BENCHMARKS.md). Several files may be given
(e.g. a SQLite run and a PostgreSQL run): their rows are listed one after the other.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

DEFAULT = Path(__file__).resolve().parent / ".data" / "latest.json"


def _ms(seconds: float) -> str:
    ms = seconds * 1e3
    return f"{ms:,.1f}" if ms >= 10 else f"{ms:.2f}"


def rows(doc: dict[str, Any]) -> list[str]:
    by_size: dict[tuple[str, int], dict[str, dict[str, Any]]] = defaultdict(dict)
    for bench in doc["benchmarks"]:
        info = bench["extra_info"]
        by_size[(info["backend"], info["size"])][info["path"]] = bench
    lines = []
    for (backend, size), paths in sorted(by_size.items()):
        indexed, naive = paths.get("indexed"), paths.get("naive")
        cells = [backend, f"{size:,}"]
        for b in (indexed, naive):
            if b is None:
                cells += ["-", "-"]
            else:
                s = b["stats"]
                cells += [
                    f"{_ms(s['median'])}",
                    f"{_ms(s['min'])} / {_ms(s['iqr'])} / {s['rounds']}",
                ]
        if indexed and naive:
            cells.append(f"{naive['stats']['median'] / indexed['stats']['median']:,.0f}x")
        else:
            cells.append("-")
        info = (indexed or naive or {}).get("extra_info", {})
        cells += [str(info.get("conflicts", "-")), str(info.get("candidates", "-"))]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


HEADER = (
    "| backend | stored operations | indexed median ms | min / IQR / rounds "
    "| naive median ms | min / IQR / rounds | naive / indexed | conflicts | index candidates |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def main(argv: list[str]) -> None:
    files = [Path(a) for a in argv] or [DEFAULT]
    print(HEADER)
    for path in files:
        doc = json.loads(path.read_text())
        for line in rows(doc):
            print(line)
    for path in files:
        doc = json.loads(path.read_text())
        machine, commit = doc.get("machine_info", {}), doc.get("commit_info", {})
        print(
            f"\n{path.name}: {doc.get('datetime', '?')}, commit {commit.get('id', '?')[:10]}"
            f"{' (dirty)' if commit.get('dirty') else ''}, {machine.get('cpu', {}).get('brand_raw', '?')}, "
            f"Python {machine.get('python_version', '?')}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
