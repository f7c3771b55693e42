"""Configuration fuzzing: mangled YAML and wrong types, always exit 2 with one line, never a traceback.

hypothesis is not a dependency, so this is a seeded mangler: valid configs (the shipped template and
the documented shapes) cut, spliced, re-indented, given wrong-typed values, YAML tricks (tags,
aliases, alias bombs, deep nesting, BOMs, NULs).  Every case goes to ``parse_config`` with a time bound;
a share of them to the real CLI in process (``status --json --config F``) against a database whose
sources have run before (so schedules are computed); a few to the real CLI in a subprocess.  A config
``parse_config`` accepts must give exit 0; any other must give exit 2 and exactly one stderr line.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hardening_support import ROOT, FaultResult, cli_env

# 10 kB of nested brackets costs PyYAML seconds (its scanner is quadratic there), several times that on a
# loaded machine; the blow-ups this guards against (exponential repr, alias bombs) take minutes or never end.
CASE_TIME_BOUND_S = 60.0

DESIGN_EXAMPLE = """\
database: candidates.db
contact: you@example.org          # goes into the User-Agent, as arXiv asks
threshold: 0.35                   # or set by `rsiwatch tune`
politeness: {default_delay_s: 1.0, per_host_delay_s: {export.arxiv.org: 3.0, rss.arxiv.org: 3.0}}
http: {connect_timeout_s: 10, read_timeout_s: 30, total_timeout_s: 90, max_body_bytes: 1000000, retries: 2}
schedule: {jitter_s: 60, backoff_base_s: 300, backoff_max_s: 86400, retrain_every: 7d, digest_every: "0 8 * * mon"}
review: {host: 127.0.0.1, port: 8765, export_dir: exports, audit_per_week: 5}
sources:
  - {name: arxiv-ml, kind: arxiv_rss, url: "https://rss.arxiv.org/rss/cs.LG+cs.AI", every: 1d}
  - {name: arxiv-search, kind: arxiv_api, query: 'abs:"neural architecture search"', every: 1d, max_results: 50}
  - {name: import-ai, kind: feed, url: "https://importai.substack.com/feed", every: 6h, threshold: 0.3}
  - {name: deepmind-blog, kind: html, url: "https://deepmind.google/discover/blog/", every: 12h,
     select: {item: "article", title: "h3", link: "a@href", summary: "p"}}
  - name: weekly
    kind: feed
    url: https://example.org/weekly.xml
    cron: "0 6 * * mon"
"""

TOKENS = [
    ":",
    ": ",
    "- ",
    "{",
    "}",
    "[",
    "]",
    ",",
    "&a ",
    "*a",
    "*nope",
    "!!python/object/apply:os.system ['true']",
    "!!binary aGk=",
    "!!float",
    "!!set",
    "\t",
    "\x00",
    "\ufeff",
    "%YAML 1.1\n",
    "---\n",
    "\n...\n",
    "? ",
    "|\n",
    ">-\n",
    "'",
    '"',
    "#",
    "@",
    "`",
    "<<: *a\n",
    "\\",
    "\u00e9",
    "\u2028",
    "\r",
    "\x85",
    "\ud7ff",
    "~",
    "=",
    "%",
    "\n  ",
    "\n- ",
]
VALUES = [
    "[1, 2]",
    "{a: 1}",
    "-1",
    "0",
    "1e309",
    "-1e309",
    ".inf",
    "-.inf",
    ".nan",
    "null",
    "~",
    "true",
    "no",
    "''",
    '""',
    "99999999999999999999999999",
    "1d",
    "0s",
    "-5m",
    "1e20d",
    "99999999999w",
    "0x1F",
    "0o17",
    "2025-01-01",
    "12:30:00",
    "a" * 5000,
    "*undefined",
    "[" * 3000 + "]" * 3000,
    "{a: " * 1500 + "1" + "}" * 1500,
    "!!str 3",
    "!!int x",
    "'* * * * *'",
    "'61 25 32 13 8'",
    "'0 6 * * mon-fri'",
    "javascript:alert(1)",
    "ftp://x",
    "http://",
    "'http://127.0.0.1:9/x'",
    "1.5",
    "-0.0",
    "2",
    "100000",
    "[a, b, c]",
    "{every: 1d}",
]


def alias_bomb(depth: int = 9, key: str = "contact") -> str:
    lines = ["x0: &n0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"x{i}: &n{i} [" + ", ".join([f"*n{i - 1}"] * 10) + "]" for i in range(1, depth + 1)]
    return "anchors:\n" + "".join(f"  {line}\n" for line in lines) + f"{key}: *n{depth}\n"


def pathological(rng: random.Random) -> str:
    key = rng.choice(["contact", "sources", "threshold", "politeness", "review", "http", "schedule"])
    return rng.choice(
        [
            alias_bomb(9, key),
            "a: &a [*a]\n" + f"{key}: *a\n",
            "- " * 3000 + "x",
            "[" * 10000,
            "{" * 10000,
            f"{key}: " + "[" * 5000 + "]" * 5000,
            "\x00\x01\x02",
            "\ufeff\ufeff",
            "key: value\n" * 20000,
            "a: b\n" + "  c: d\n",
            "!!python/name:os.system",
            "--- !!map\n? [a]\n: b\n",
            f"{key}: !!timestamp 2025-01-01",
            "sources:\n" + "".join(f"  - {{name: s{i}, kind: feed, url: 'http://x.org/{i}'}}\n" for i in range(3000)),
        ]
    )


def mangle(base: str, rng: random.Random) -> str:
    if rng.random() < 0.06:
        return pathological(rng)
    text = base
    for _ in range(rng.randint(1, 3)):
        lines = text.split("\n")
        op = rng.randrange(9)
        i = rng.randrange(len(lines))
        if op == 0 and text:  # delete a span
            a = rng.randrange(len(text))
            text = text[:a] + text[a + rng.randint(1, 40) :]
        elif op == 1:  # insert a token
            a = rng.randrange(len(text) + 1)
            text = text[:a] + rng.choice(TOKENS) + text[a:]
        elif op == 2:  # duplicate a line
            lines.insert(i, lines[i])
            text = "\n".join(lines)
        elif op == 3:  # swap two lines
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
        elif op == 4:  # re-indent a line
            lines[i] = " " * rng.choice([0, 1, 3, 5, 8]) + lines[i].lstrip()
            text = "\n".join(lines)
        elif op in (5, 6):  # a wrong-typed or odd value after some key
            spots = [n for n, line in enumerate(lines) if ": " in line]
            if spots:
                n = rng.choice(spots)
                head, _, tail = lines[n].partition(": ")
                if tail.startswith("{") and rng.random() < 0.5:  # inside a flow mapping
                    keys = [k for k in tail.split(", ") if ": " in k]
                    if keys:
                        k = rng.choice(keys)
                        tail = tail.replace(k, k.split(": ")[0] + ": " + rng.choice(VALUES), 1)
                else:
                    tail = rng.choice(VALUES)
                lines[n] = head + ": " + tail
                text = "\n".join(lines)
        elif op == 7:  # a typo in a key
            spots = [n for n, line in enumerate(lines) if ": " in line]
            if spots:
                n = rng.choice(spots)
                head, sep, tail = lines[n].partition(": ")
                if head.strip():
                    head = head[:-1] + rng.choice("xyz_") if rng.random() < 0.5 else head + "s"
                lines[n] = head + sep + tail
                text = "\n".join(lines)
        else:  # truncate
            text = text[: rng.randrange(len(text) + 1)]
    return text


def _seed_db(db: Path) -> None:
    """A database whose configured sources have all succeeded before: ``status`` computes next runs."""
    from rsiwatch.store import Store

    with Store(db) as store:
        for text in (DESIGN_EXAMPLE, (ROOT / "rsiwatch" / "templates" / "config.yaml").read_text()):
            data = yaml.safe_load(text)
            store.sources.ensure_sources((s["name"], s["kind"], s.get("url")) for s in data.get("sources", []))
        with store.transaction() as conn:
            conn.execute(
                "UPDATE sources SET last_success = '2026-01-01T00:00:00.000Z', consecutive_failures = 3, "
                "not_before = '2026-01-02T00:00:00.000Z'"
            )


def run(workdir: Path, cases: int = 500, cli_cases: int = 100, process_cases: int = 4, seed: int = 8) -> FaultResult:
    from rsiwatch.cli import cli
    from rsiwatch.config import ConfigError, parse_config

    result = FaultResult("Configuration fuzzing (mangled YAML, wrong types)")
    result.held = (
        "every rejected config: exit 2 and one stderr line naming the file; every accepted one: exit 0; no traceback"
    )
    rng = random.Random(seed)
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "fuzz.db"
    _seed_db(db)
    bases = [DESIGN_EXAMPLE, (ROOT / "rsiwatch" / "templates" / "config.yaml").read_text()]
    runner = CliRunner()
    accepted = rejected = 0
    sampled: list[tuple[Path, bool]] = []
    slowest = 0.0
    for n in range(cases):
        text = mangle(rng.choice(bases), rng)
        path = workdir / f"case-{n}.yaml"
        started = time.monotonic()
        try:
            parse_config(text, path)
            valid = True
        except ConfigError as exc:
            valid = False
            message = str(exc)
            result.check(
                "\n" not in message and len(message) < 1000 and message.startswith(str(path)),
                f"case {n}: not one line naming the file: {message[:300]!r}",
            )
        except BaseException as exc:
            valid = None
            result.failures.append(
                f"case {n}: parse_config raised {type(exc).__name__}: {str(exc)[:200]} (text {text[:80]!r})"
            )
        took = time.monotonic() - started
        slowest = max(slowest, took)
        result.check(took <= CASE_TIME_BOUND_S, f"case {n}: parse_config took {took:.1f} s (text {text[:80]!r})")
        result.cases += 1
        if valid is None:
            continue
        accepted += valid
        rejected += not valid
        if n < cli_cases or (len(sampled) < process_cases and valid is False and rng.random() < 0.2):
            path.write_bytes(text.encode("utf-8", "surrogatepass"))
        if n < cli_cases:
            outcome = runner.invoke(cli, ["status", "--json", "--config", str(path), "--db", str(db)])
            stderr = outcome.stderr.strip().splitlines()
            if valid:
                result.check(
                    outcome.exit_code == 0,
                    f"case {n}: a valid config, but status exited {outcome.exit_code}: "
                    f"{outcome.stderr[-300:]!r} {outcome.exception!r} (text {text[:80]!r})",
                )
            else:
                result.check(
                    outcome.exit_code == 2 and len(stderr) == 1,
                    f"case {n}: exit {outcome.exit_code}, stderr {stderr[:3]!r}, {outcome.exception!r}",
                )
            result.check(
                outcome.exception is None or isinstance(outcome.exception, SystemExit),
                f"case {n}: status raised {outcome.exception!r}",
            )
        elif len(sampled) < process_cases and valid is False and path.exists():
            sampled.append((path, valid))
    for path, _ in sampled:
        proc = subprocess.run(
            [sys.executable, "-m", "rsiwatch", "status", "--json", "--config", str(path), "--db", str(db)],
            capture_output=True,
            text=True,
            timeout=120,
            env=cli_env(),
            stdin=subprocess.DEVNULL,
        )
        lines = proc.stderr.strip().splitlines()
        result.check(
            proc.returncode == 2 and len(lines) == 1 and "Traceback" not in proc.stderr and not proc.stdout,
            f"{path.name} in a real process: exit {proc.returncode}, stderr {proc.stderr[-300:]!r}",
        )
    result.notes.append(
        f"{accepted} still valid (exit 0), {rejected} rejected (exit 2, one line); "
        f"{min(cli_cases, cases)} through the CLI in process, {len(sampled)} in a real process; "
        f"slowest parse {slowest * 1000:.0f} ms"
    )
    return result


@pytest.mark.slow
def test_mangled_configs_exit_2_with_one_line(tmp_path: Path) -> None:
    result = run(tmp_path, cases=500, cli_cases=100, process_cases=4)
    assert result.ok, "\n".join(result.failures[:30] + result.notes)


@pytest.mark.slow
def test_what_the_fuzzer_found_stays_fixed() -> None:
    """Regressions: each of these once hung, overflowed later, or escaped as a traceback."""
    import pytest

    from rsiwatch.config import ConfigError, parse_config

    cases = {
        alias_bomb(9): "contact",  # repr() of the value took exponential time and memory
        "contact: " + "[" * 5000 + "]" * 5000: "nested too deeply",  # RecursionError
        "a: &a [*a]\ncontact: *a": "contact",
        "threshold: !!int x": "invalid YAML",  # ValueError from the YAML constructor
        "sources: [{name: a, kind: feed, url: 'http://x.org/f', every: "
        "99999999999999999999d}]": "at most 10 years",  # OverflowError later
        "schedule: {jitter_s: .inf}": "finite",
        "schedule: {backoff_max_s: 1e300}": "less than or equal",
    }
    for text, words in cases.items():
        started = time.monotonic()
        with pytest.raises(ConfigError, match=words) as info:
            parse_config(text)
        assert time.monotonic() - started < CASE_TIME_BOUND_S and "\n" not in str(info.value)
