"""Load test: many analysts at once, each uploading their own file and reading back their rates.

Starts ``streamlit run app.py`` on a free loopback port, launches one Chromium and opens one
browser context per session (each context is a separate Streamlit session). Every session gets a
different generated CSV whose counts are known by construction: segments ``Snn Alpha`` and
``Snn Beta`` with their own contacts and customers, so the overall rate and the contacts total
differ from one session to the next. Once all sessions are open, they all upload at the same
time, go back to the Segments page, wait for the bar chart and read the "Overall rate"
and "Contacts" cards.

A *wrong number* is a session that shows anything but its own file's numbers (another session's
data, or a miscount); an *error* is anything else that went wrong (a timeout, a traceback or an
error message in the page). Time to first chart runs from the upload to the moment the bar chart
of the session's own segments is drawn.

Run it from the project root (local only, bounded in sessions and time)::

    python tests/load/run_load.py --sessions 20 --timeout 300

It writes ``tests/load/REPORT.md`` (``--report PATH`` to write elsewhere, ``--json PATH`` for the
raw numbers) and exits with status 1 when there were errors or wrong numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Run as a script too (python tests/load/run_load.py): the shared helpers live in tests/.
sys.path.insert(0, str(ROOT / "tests"))
from serving import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    free_port,
    start_server,
    stop_server,
)

REPORT = Path(__file__).resolve().parent / "REPORT.md"
MAX_SESSIONS = 50
VIEWPORT = {"width": 1280, "height": 900}
CHART = '[data-testid="stVegaLiteChart"]'


# --- the sessions' files --------------------------------------------------------------------


@dataclass(frozen=True)
class SessionFile:
    """One session's upload and the numbers it must show, counted by construction."""

    index: int
    name: str
    segments: dict[str, tuple[int, int]]  # segment -> (customers, contacts)

    @property
    def contacts(self) -> int:
        return sum(n for _, n in self.segments.values())

    @property
    def customers(self) -> int:
        return sum(c for c, _ in self.segments.values())

    @property
    def rate_text(self) -> str:
        """The overall rate as the KPI card shows it (one decimal, %)."""
        return f"{self.customers / self.contacts:.1%}"

    @property
    def contacts_text(self) -> str:
        return f"{self.contacts:,}"

    def csv_bytes(self) -> bytes:
        lines = ["Record ID,Channel,Converted"]
        record = 100_000 * (self.index + 1)
        for segment, (customers, contacts) in self.segments.items():
            for i in range(contacts):
                record += 1
                lines.append(f"{record},{segment},{'Y' if i < customers else 'N'}")
        return ("\n".join(lines) + "\n").encode("utf-8")


def session_files(sessions: int) -> list[SessionFile]:
    """Session i: Alpha (4 + i of 40 + i), Beta (2 + i mod 7 of 30 + 2i); all totals differ."""
    files = [
        SessionFile(
            index=i,
            name=f"load_session_{i:02d}.csv",
            segments={
                f"S{i:02d} Alpha": (4 + i, 40 + i),
                f"S{i:02d} Beta": (2 + i % 7, 30 + 2 * i),
            },
        )
        for i in range(sessions)
    ]
    assert len({f.contacts_text for f in files}) == len(files), "contacts must differ per session"
    return files


def _descendants(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            for child in (task / "children").read_text().split():
                found += [int(child), *_descendants(int(child))]
    return found


def rss_mib(pid: int) -> float:
    """Resident memory (VmRSS) of ``pid`` and all its descendants, in MiB."""
    total_kib = 0
    for process in [pid, *_descendants(pid)]:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{process}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kib += int(line.split()[1])
    return total_kib / 1024


# --- one session ----------------------------------------------------------------------------


@dataclass
class SessionResult:
    index: int
    file: str
    expected_rate: str
    expected_contacts: str
    seen_rate: str | None = None
    seen_contacts: str | None = None
    seen_dataset: str | None = None
    first_chart_seconds: float | None = None
    errors: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)


async def _wait_for_idle(page, timeout_ms: int) -> None:
    """Until the script run ends (Streamlit's status widget shows while it runs)."""
    await page.wait_for_timeout(300)
    await page.locator('[data-testid="stStatusWidget"]').wait_for(
        state="detached", timeout=timeout_ms
    )


async def _wait_for_title(page, title: str, timeout_ms: int) -> None:
    await page.get_by_role("heading", name=title, exact=True).wait_for(timeout=timeout_ms)


async def _go_to(page, label: str, title: str, timeout_ms: int) -> None:
    """Client-side navigation through the sidebar (loading a URL would start a new session)."""
    await page.locator('[data-testid="stSidebarNavLink"]').filter(has_text=label).click()
    await _wait_for_title(page, title, timeout_ms)
    await _wait_for_idle(page, timeout_ms)


async def _metric(page, label: str) -> str:
    name = page.locator('[data-testid="stMetricLabel"]').get_by_text(label, exact=True)
    card = page.locator('[data-testid="stMetric"]').filter(has=name)
    return (await card.locator('[data-testid="stMetricValue"]').inner_text()).strip()


async def _problems(page) -> list[str]:
    found = []
    for test_id in ("stException", "stAlertContentError"):
        for text in await page.locator(f'[data-testid="{test_id}"]').all_inner_texts():
            found.append(f"{test_id}: {text.strip()[:200]}")
    return found


async def _read_back(page, result: SessionResult, timeout_ms: int) -> None:
    result.seen_rate = await _metric(page, "Overall rate")
    result.seen_contacts = await _metric(page, "Contacts")
    sidebar = page.locator('[data-testid="stSidebarUserContent"]')
    result.seen_dataset = (await sidebar.inner_text(timeout=timeout_ms)).strip()


async def open_session(browser, url: str, index: int, timeout_ms: int):
    context = await browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(timeout_ms)
    page = await context.new_page()
    await page.goto(url, timeout=timeout_ms)
    await _wait_for_title(page, "Conversion by segment", timeout_ms)
    await _wait_for_idle(page, timeout_ms)
    return context, page, await _problems(page)


async def run_session(page, spec: SessionFile, path: Path, timeout_ms: int) -> SessionResult:
    """Upload ``path``, go to Segments, wait for its chart and check the cards against ``spec``."""
    result = SessionResult(spec.index, spec.name, spec.rate_text, spec.contacts_text)
    try:
        await _go_to(page, "Data", "Data", timeout_ms)
        radio = page.locator('[data-testid="stRadio"]').get_by_text("Upload a file", exact=True)
        await radio.click()
        uploader = page.locator('[data-testid="stMain"] [data-testid="stFileUploader"]').filter(
            has_text="Contacts / leads file"
        )
        file_input = uploader.locator('input[type="file"]')
        await file_input.wait_for(state="attached", timeout=timeout_ms)
        started = time.monotonic()
        await file_input.set_input_files(path)
        await _wait_for_title(page, f"Preview of {spec.name}", timeout_ms)
        await _wait_for_idle(page, timeout_ms)
        await _go_to(page, "Segments", "Conversion by segment", timeout_ms)
        own_segment = next(iter(spec.segments))
        chart = page.locator(CHART).filter(has_text=own_segment).locator("svg.marks").first
        await chart.wait_for(timeout=timeout_ms)
        result.first_chart_seconds = time.monotonic() - started
        await _wait_for_idle(page, timeout_ms)
        await _read_back(page, result, timeout_ms)
        result.errors += await _problems(page)
    except Exception as error:  # any failure of this session is reported, not raised
        result.errors.append(f"{type(error).__name__}: {str(error).splitlines()[0][:300]}")
        return result
    if result.seen_rate != spec.rate_text:
        result.wrong.append(f"overall rate {result.seen_rate}, expected {spec.rate_text}")
    if result.seen_contacts != spec.contacts_text:
        result.wrong.append(f"contacts {result.seen_contacts}, expected {spec.contacts_text}")
    if spec.name not in (result.seen_dataset or ""):
        result.wrong.append(f"dataset in use {result.seen_dataset!r}, expected {spec.name}")
    return result


# --- the run --------------------------------------------------------------------------------


@dataclass
class Run:
    sessions: int
    started_utc: str
    seconds: float = 0.0
    rss_idle_mib: float = 0.0
    rss_open_mib: float = 0.0
    rss_peak_mib: float = 0.0
    rss_after_mib: float = 0.0
    rss_closed_mib: float = 0.0
    open_seconds: float | None = None
    upload_seconds: float | None = None
    load_average: tuple[str, str] = ("", "")  # /proc/loadavg before and after: a shared machine
    chromium: str = ""
    results: list[SessionResult] = field(default_factory=list)
    open_problems: list[str] = field(default_factory=list)  # on the first page, before uploads
    server_tracebacks: list[str] = field(default_factory=list)
    fatal: str | None = None

    @property
    def errors(self) -> int:
        failed = sum(1 for r in self.results if r.errors)
        missing = self.sessions - len(self.results)
        server = len(self.open_problems) + len(self.server_tracebacks)
        return failed + missing + server + (1 if self.fatal else 0)

    @property
    def wrong_numbers(self) -> int:
        return sum(1 for r in self.results if r.wrong)

    def times(self) -> list[float]:
        return sorted(r.first_chart_seconds for r in self.results if r.first_chart_seconds)


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile (the smallest value with at least ``fraction`` of values ≤ it)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


async def _sample_memory(pid: int, run: Run, stop: asyncio.Event) -> None:
    while not stop.is_set():
        run.rss_peak_mib = max(run.rss_peak_mib, rss_mib(pid))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.25)


async def drive(url: str, pid: int, run: Run, files: list[tuple[SessionFile, Path]], args) -> None:
    from playwright.async_api import async_playwright

    timeout_ms = int(args.wait_timeout * 1000)
    run.rss_idle_mib = rss_mib(pid)
    stop = asyncio.Event()
    sampler = asyncio.create_task(_sample_memory(pid, run, stop))
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=args.chromium, args=CHROMIUM_ARGS, timeout=60_000
        )
        run.chromium = browser.version
        opened = []
        try:
            # Open the sessions a few at a time (each first run reads the default sample), then
            # start every upload at the same moment.
            gate = asyncio.Semaphore(5)
            began = time.monotonic()

            async def opening(index: int):
                async with gate:
                    return await open_session(browser, url, index, timeout_ms)

            outcomes = await asyncio.gather(
                *(opening(spec.index) for spec, _ in files), return_exceptions=True
            )
            for (spec, _), outcome in zip(files, outcomes, strict=True):
                if isinstance(outcome, BaseException):
                    result = SessionResult(
                        spec.index, spec.name, spec.rate_text, spec.contacts_text
                    )
                    result.errors.append(f"opening the app: {type(outcome).__name__}: {outcome}")
                    run.results.append(result)
                else:
                    context, page, problems = outcome
                    run.open_problems += [f"session {spec.index}: {p}" for p in problems]
                    opened.append((spec, path_of(files, spec), (context, page)))
            run.open_seconds = time.monotonic() - began
            run.rss_open_mib = rss_mib(pid)
            began = time.monotonic()

            async def session(spec: SessionFile, path: Path, page) -> None:
                run.results.append(await run_session(page, spec, path, timeout_ms))

            await asyncio.gather(*(session(spec, path, page) for spec, path, (_, page) in opened))
            run.upload_seconds = time.monotonic() - began
            run.rss_after_mib = rss_mib(pid)
        finally:
            for _, _, (context, _) in opened:
                with contextlib.suppress(Exception):
                    await context.close()
            await browser.close()
    # Streamlit drops a session's state shortly after its websocket closes.
    await asyncio.sleep(5)
    run.rss_closed_mib = rss_mib(pid)
    stop.set()
    await sampler


def path_of(files: list[tuple[SessionFile, Path]], spec: SessionFile) -> Path:
    return next(path for s, path in files if s is spec)


def run_load(args) -> Run:
    run = Run(sessions=args.sessions, started_utc=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
    began = time.monotonic()
    load_before = _load_average()
    work = Path(tempfile.mkdtemp(prefix="conversion-load-"))
    try:
        files = []
        for spec in session_files(args.sessions):
            path = work / spec.name
            path.write_bytes(spec.csv_bytes())
            files.append((spec, path))
        process = start_server(free_port(), work / "server.log")
        try:
            url = f"http://127.0.0.1:{_port_of(process)}"
            asyncio.run(asyncio.wait_for(drive(url, process.pid, run, files, args), args.timeout))
        except TimeoutError:
            run.fatal = f"the whole run exceeded --timeout {args.timeout:g} s"
            unfinished = {spec.index for spec, _ in files} - {r.index for r in run.results}
            for spec, _ in files:
                if spec.index in unfinished:
                    result = SessionResult(
                        spec.index, spec.name, spec.rate_text, spec.contacts_text
                    )
                    result.errors.append("unfinished when the whole run timed out")
                    run.results.append(result)
        except Exception as error:
            run.fatal = f"{type(error).__name__}: {error}"
        finally:
            stop_server(process)
            log = (work / "server.log").read_text(errors="replace")
            if args.server_log:
                args.server_log.write_text(log, encoding="utf-8")
            run.server_tracebacks = tracebacks(log)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    run.seconds = time.monotonic() - began
    run.load_average = (load_before, _load_average())
    run.results.sort(key=lambda r: r.index)
    return run


def _load_average() -> str:
    with contextlib.suppress(OSError):
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return "?"


def tracebacks(log: str) -> list[str]:
    """Each traceback in the server's log, from its first line to the exception line."""
    found = []
    for chunk in log.split("Traceback (most recent call last):")[1:]:
        lines = chunk.strip("\n").splitlines()
        end = next((i for i, line in enumerate(lines) if not line.startswith(" ")), len(lines))
        found.append("\n".join(["Traceback (most recent call last):", *lines[: end + 1]]))
    return found


def _port_of(process: subprocess.Popen) -> str:
    return process.args[process.args.index("--server.port") + 1]  # type: ignore[union-attr]


# --- the report -----------------------------------------------------------------------------


def _machine() -> list[str]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, IndexError, ValueError):
        kib = int(Path("/proc/meminfo").read_text().splitlines()[0].split()[1])
        memory = f"{kib / 2**20:.1f} GiB RAM"
    from importlib.metadata import version

    packages = ", ".join(f"{p} {version(p)}" for p in ("streamlit", "polars", "playwright"))
    return [
        f"- CPU: {cpu}, {os.cpu_count()} logical cores available; {memory}",
        f"- OS: {platform.platform()}; Python {platform.python_version()}; {packages}",
    ]


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} s"


def _mib(value: float) -> str:
    return f"{value:,.0f} MiB" if value else "—"


def report(run: Run, command: str) -> str:
    times = run.times()
    lines = [
        "# Load test: concurrent analysts",
        "",
        f"Measured {run.started_utc} with `{command}` (see the script's docstring for the "
        "method): one Streamlit server on 127.0.0.1, one Chromium, one browser context (so one "
        "Streamlit session) per analyst; every session uploads its own generated CSV at the same "
        "moment, opens Segments, waits for its bar chart and reads the KPI cards back.",
        "",
        "## Machine",
        "",
        *_machine(),
        f"- Chromium {run.chromium or '(not started)'}, headless, sharing the same cores as the "
        "server (and with whatever else runs on the machine: see the load average)",
        "",
        "## Results",
        "",
        "| | |",
        "|---|---|",
        f"| Sessions | {run.sessions} |",
        f"| Errors | **{run.errors}** |",
        f"| Wrong numbers | **{run.wrong_numbers}** |",
        f"| Time to first chart, p50 | {_seconds(percentile(times, 0.50))} |",
        f"| Time to first chart, p95 | {_seconds(percentile(times, 0.95))} |",
        f"| Time to first chart, max | {_seconds(max(times) if times else None)} |",
        f"| Server RSS, idle after start | {_mib(run.rss_idle_mib)} |",
        f"| Server RSS, all sessions open (default sample) | {_mib(run.rss_open_mib)} |",
        f"| Server RSS, peak during the run | {_mib(run.rss_peak_mib)} |",
        f"| Server RSS, after every session read its rates | {_mib(run.rss_after_mib)} |",
        f"| Server RSS, 5 s after the browser closed | {_mib(run.rss_closed_mib)} |",
        f"| Opening every session (5 at a time, default sample) | {_seconds(run.open_seconds)} |",
        f"| All uploads to the last session's read-back | {_seconds(run.upload_seconds)} |",
        f"| Whole run (start to stop, server start-up included) | {run.seconds:.1f} s |",
        f"| Load average (1/5/15 min) before → after | {run.load_average[0]} → "
        f"{run.load_average[1]} |",
        "",
        "Time to first chart: from handing the file to the uploader to the bar chart of the "
        "session's own segments being drawn on the Segments page (the navigation in between "
        "included). Percentiles are nearest-rank. RSS is VmRSS of the streamlit process and its "
        "children, from /proc.",
        "",
    ]
    if run.fatal:
        lines += ["**The run did not complete:**", "", "```", run.fatal, "```", ""]
    if run.open_problems:
        lines += ["**Shown on opening the app, before any upload:**", ""]
        lines += [f"- {problem}" for problem in run.open_problems] + [""]
    for number, trace in enumerate(run.server_tracebacks, 1):
        lines += [f"**Traceback {number} in the server's log:**", "", "```", trace, "```", ""]
    lines += [
        "## Sessions",
        "",
        "| # | File | Expected rate / contacts | Seen rate / contacts | First chart | Problems |",
        "|---|---|---|---|---|---|",
    ]
    for r in run.results:
        problems = "; ".join(r.errors + r.wrong).replace("|", "\\|") or "none"
        lines.append(
            f"| {r.index} | {r.file} | {r.expected_rate} / {r.expected_contacts} | "
            f"{r.seen_rate or '—'} / {r.seen_contacts or '—'} | "
            f"{_seconds(r.first_chart_seconds)} | {problems} |"
        )
    return "\n".join(lines) + "\n"


def summary(run: Run) -> dict:
    times = run.times()
    return {
        "sessions": run.sessions,
        "errors": run.errors,
        "wrong_numbers": run.wrong_numbers,
        "p50_seconds": percentile(times, 0.50),
        "p95_seconds": percentile(times, 0.95),
        "max_seconds": max(times) if times else None,
        "rss_mib": {
            "idle": run.rss_idle_mib,
            "open": run.rss_open_mib,
            "peak": run.rss_peak_mib,
            "after": run.rss_after_mib,
            "closed": run.rss_closed_mib,
        },
        "fatal": run.fatal,
        "open_problems": run.open_problems,
        "server_tracebacks": run.server_tracebacks,
        "results": [asdict(r) for r in run.results],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=20, help="concurrent sessions (≤ 50)")
    parser.add_argument("--timeout", type=float, default=300, help="whole run, seconds")
    parser.add_argument("--wait-timeout", type=float, default=120, help="any one wait, seconds")
    parser.add_argument("--chromium", default=CHROMIUM, help="the Chromium binary to drive")
    parser.add_argument("--report", type=Path, default=REPORT, help="Markdown report to write")
    parser.add_argument("--json", type=Path, help="also write the raw numbers as JSON")
    parser.add_argument("--server-log", type=Path, help="keep the server's log at this path")
    args = parser.parse_args(argv)
    if not 1 <= args.sessions <= MAX_SESSIONS:
        parser.error(f"--sessions must be from 1 to {MAX_SESSIONS}")
    run = run_load(args)
    command = f"python tests/load/run_load.py --sessions {args.sessions} --timeout {args.timeout:g}"
    text = report(run, command)
    args.report.write_text(text, encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps(summary(run), indent=2), encoding="utf-8")
    print(text)
    return 0 if run.errors == 0 and run.wrong_numbers == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
