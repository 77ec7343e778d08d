"""``make bench``: benchmarks with a baseline measured in the same run, written to
bench/README.md. Not part of ``make test``: figures depend on the machine.

Scenarios (the seven of issue 9):
  scale      (bench/scale.py, PostgreSQL) access fan-out, erasure, throughput at 100,000
             customers, peak memory while exporting 100,000 rows, the dashboard at 1,000,000
             requests, intake from 50 clients (wrk if installed) on PostgreSQL and SQLite;
             DSR_BENCH_SCALE=0 skips them, DSR_BENCH_CUSTOMERS sets the shop's size.
  letters    DOCX renders per second (target >= 50/s); baseline: python-docx opening and
             saving the same template without filling it in.
  mailbox    (bench/inbox.py) requests filed per second from a mailbox of 1,000 (a private
             Dovecot; baseline: fetching the same messages over IMAP without filing them).
  footprint  time from starting ``dsr serve`` to ``/health`` 200 (target <= 2 s), its resident
             memory then, and the size of a fresh runtime install (target <= 250 MB); baseline
             for the start: ``python -c "import litestar"``.
"""

from __future__ import annotations

import io
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import docx
from scale import free_port

from dsr.domain.vocabulary import Language
from dsr.letters.catalog import LetterKind
from dsr.letters.check import specimen, specimen_config
from dsr.letters.render import render_docx

ROOT = Path(__file__).resolve().parents[1]
LETTERS = ROOT / "templates" / "letters"
Row = tuple[str, str, str, str, str]  # scenario, dsr, baseline, ratio, target


def letters(rounds: int = 200) -> Row:
    config = specimen_config()
    contexts = [(kind, specimen(kind, Language.DE, config)) for kind in LetterKind]
    started = time.perf_counter()
    for i in range(rounds):
        kind, context = contexts[i % len(contexts)]
        render_docx(LETTERS / "de" / f"{kind.value}.docx", context)
    ours = rounds / (time.perf_counter() - started)
    started = time.perf_counter()
    for i in range(rounds):
        kind, _ = contexts[i % len(contexts)]
        document = docx.Document(str(LETTERS / "de" / f"{kind.value}.docx"))
        document.save(io.BytesIO())
    baseline = rounds / (time.perf_counter() - started)
    return (
        f"letters: DOCX renders per second ({rounds}, all 10 kinds)",
        f"{ours:.0f}/s",
        f"{baseline:.0f}/s (python-docx open + save)",
        f"{baseline / ours:.1f}x slower",
        ">= 50/s",
    )


def startup(runs: int = 5) -> list[Row]:
    dsr = Path(sys.executable).with_name("dsr")
    times, rss = [], []
    with tempfile.TemporaryDirectory(prefix="dsr-bench-") as work:
        env = {
            **os.environ,
            "DSR_DATABASE_URL": f"sqlite+aiosqlite:///{work}/dsr.db",
            "DSR_VAR_DIR": f"{work}/var",
            "DSR_CONFIG": f"{work}/none.yaml",
            "DSR_DEV_MAIL_CATCHER": "false",
        }
        subprocess.run([str(dsr), "db", "upgrade"], env=env, check=True, capture_output=True)
        for _ in range(runs):
            port = free_port()
            started = time.perf_counter()
            process = subprocess.Popen(
                [str(dsr), "serve", "--port", str(port)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                while True:
                    try:
                        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health") as r:
                            if r.status == 200:
                                break
                    except OSError:
                        time.sleep(0.02)
                times.append(time.perf_counter() - started)
                status = Path(f"/proc/{process.pid}/status").read_text()
                rss.append(
                    int(next(x for x in status.splitlines() if x.startswith("VmRSS")).split()[1])
                )
            finally:
                process.terminate()
                process.wait()
    started = time.perf_counter()
    for _ in range(runs):
        subprocess.run([sys.executable, "-c", "import litestar"], check=True)
    baseline = (time.perf_counter() - started) / runs
    median = statistics.median(times)
    return [
        (
            "footprint: `dsr serve` start to /health 200 (median of 5)",
            f"{median:.2f} s",
            f"{baseline:.2f} s (python -c 'import litestar')",
            f"{median / baseline:.1f}x",
            "<= 2 s",
        ),
        (
            "footprint: resident memory of `dsr serve` (idle, with its worker)",
            f"{statistics.median(rss) / 1024:.0f} MB",
            "",
            "",
            "<= 250 MB (the peak while exporting: scenario 7 below)",
        ),
    ]


def install_size() -> Row:
    with tempfile.TemporaryDirectory(prefix="dsr-install-") as work:
        venv = Path(work) / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "--quiet", str(ROOT)],
            check=True,
            capture_output=True,
        )
        size = sum(f.stat().st_size for f in venv.rglob("*") if f.is_file())
        pip = sum(
            f.stat().st_size for f in venv.glob("lib/python*/site-packages/pip/**/*") if f.is_file()
        )
    return (
        "footprint: fresh runtime install (venv, no dev extras; pip itself excluded)",
        f"{(size - pip) / 1e6:.0f} MB",
        "",
        "",
        "<= 250 MB",
    )


def main() -> int:
    import asyncio

    import inbox
    import scale

    rows = [letters(), *startup(), install_size(), *inbox.rows()]
    if os.environ.get("DSR_BENCH_SCALE", "1") == "1":
        rows += asyncio.run(scale.scenarios())
        rows += scale.intake_rows()
    header = ("scenario", "dsr", "baseline (same run)", "ratio", "target")
    table = [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join("---" for _ in header) + " |",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]
    print("\n".join(table))
    machine = (
        f"{platform.node()}: {os.cpu_count()} cores, {platform.machine()}, Python "
        f"{platform.python_version()}, LibreOffice {'yes' if shutil.which('soffice') else 'no'}"
    )
    readme = ROOT / "bench" / "README.md"
    text = readme.read_text(encoding="utf-8")
    start, end = "<!-- results -->", "<!-- /results -->"
    body = (
        f"{start}\nMeasured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine}, with "
        f"`make bench`.\n\n" + "\n".join(table) + f"\n{end}"
    )
    readme.write_text(text[: text.index(start)] + body + text[text.index(end) + len(end) :])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
