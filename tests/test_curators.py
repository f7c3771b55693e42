"""Curators sign in: `rsiwatch curator add` writes an argon2 hash into config.yaml (comments kept), and
the review page then asks every visitor to sign in, refuses decisions from anyone who has not, and
limits guesses."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from review_fixtures import populate
from store_support import decisions

from rsiwatch.config import parse_config
from rsiwatch.curators import add_curator_text, check_curator, hash_password
from rsiwatch.present.security import Binding, UnsafeBind, check_binding
from rsiwatch.review.web import create_app
from rsiwatch.store import Store

BASE = "http://127.0.0.1:8765"
CONFIG = """# my rsiwatch config
contact: me@example.org   # for arXiv
review:
  port: 8765   # the usual port
threshold: 0.4
"""


def add(cwd: Path, name: str, password: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rsiwatch", "curator", "add", name, "--password-stdin"], cwd=cwd,
                          input=password + "\n", capture_output=True, text=True, timeout=60)


@pytest.mark.slow
def test_curator_add_writes_a_hash_and_keeps_the_comments(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(CONFIG)
    done = add(tmp_path, "Ada Lovelace", "correct horse battery")
    assert done.returncode == 0, done.stderr
    assert add(tmp_path, "bob", "another long one").returncode == 0
    again = add(tmp_path, "bob", "a new password!")  # a new password replaces the old hash
    assert again.returncode == 0 and "updated curator bob" in again.stderr
    text = (tmp_path / "config.yaml").read_text()
    assert "# my rsiwatch config" in text and "# for arXiv" in text and "# the usual port" in text
    curators = parse_config(text).review.curators
    assert sorted(curators) == ["Ada Lovelace", "bob"]
    assert check_curator(curators, "Ada Lovelace", "correct horse battery")
    assert check_curator(curators, "bob", "a new password!") and not check_curator(curators, "bob", "another long one")
    assert "correct horse" not in text
    short = add(tmp_path, "eve", "short")
    assert short.returncode == 1 and short.stderr.strip().count("\n") == 0 and "too short" in short.stderr
    listed = subprocess.run([sys.executable, "-m", "rsiwatch", "curator", "list", "--json"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert yaml.safe_load(listed.stdout) == ["Ada Lovelace", "bob"]


@pytest.mark.parametrize("text", ["", "review:\n  curators:\n", "review:\n    host: 127.0.0.1\n",
                                  "review:\n  curators:\n    x: '$argon2id$v=19$m=1,t=1,p=1$YQ$YQ'\nthreshold: 0.3\n"])
def test_the_config_edit_lands_in_every_shape_of_file(text: str) -> None:
    edited = add_curator_text(text, "ada", hash_password("pw-pw-pw-pw"))
    assert check_curator(parse_config(edited).review.curators, "ada", "pw-pw-pw-pw")


def test_a_hash_that_is_not_argon2_is_a_config_error() -> None:
    with pytest.raises(Exception, match="argon2"):
        parse_config("review:\n  curators:\n    ada: plaintext\n")


@pytest.fixture
def curated(tmp_path: Path):
    db = tmp_path / "candidates.db"
    ids = populate(db, 4)
    config = parse_config(yaml.safe_dump({"review": {"curators": {"ada": hash_password("ada's password")}}}))
    return create_app(config, db).test_client(), ids


@pytest.mark.slow
def test_the_review_page_asks_curators_to_sign_in(curated) -> None:
    client, ids = curated
    first = client.get("/catalog", base_url=BASE)
    assert first.status_code == 303 and first.headers["Location"].startswith("/login?next=/catalog")
    login = client.get("/login", base_url=BASE)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login.get_data(as_text=True)).group(1)
    refused = client.post("/api/decide", json={"id": ids[0], "action": "reject"}, base_url=BASE,
                          headers={"X-CSRF-Token": token})
    assert refused.status_code == 401
    wrong = client.post("/login", data={"csrf_token": token, "name": "ada", "password": "nope", "next": "/catalog"},
                        base_url=BASE)
    assert wrong.status_code == 401 and b"wrong password" in wrong.data
    right = client.post("/login", data={"csrf_token": token, "name": "ada", "password": "ada's password",
                                        "next": "//evil.example/"}, base_url=BASE)
    assert right.status_code == 303 and right.headers["Location"] == "/"  # never off the site
    page = client.get("/", base_url=BASE)
    assert page.status_code == 200 and b"Sign out" in page.data and b">ada<" in page.data
    fresh = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.get_data(as_text=True)).group(1)
    assert fresh != token  # signing in starts a new session
    client.post("/logout", data={"csrf_token": fresh}, base_url=BASE)
    assert client.get("/", base_url=BASE).status_code == 303


@pytest.mark.slow
def test_guessing_is_rate_limited(curated) -> None:
    client, _ = curated
    login = client.get("/login", base_url=BASE)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login.get_data(as_text=True)).group(1)
    codes = [client.post("/login", data={"csrf_token": token, "name": "ada", "password": f"guess {i}"},
                         base_url=BASE).status_code for i in range(12)]
    assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]
    # Past the limit the sign-in page again, the name kept, and when to try again (its Retry-After).
    late = client.post("/login", data={"csrf_token": token, "name": "ada", "password": "x"}, base_url=BASE)
    page = late.get_data(as_text=True)
    wait = int(late.headers["Retry-After"])
    assert late.status_code == 429 and 0 < wait <= 60 and '<form method="post" action="/login">' in page
    assert 'value="ada"' in page and f"try again in {wait} seconds" in page


def test_curators_let_the_page_serve_beyond_loopback() -> None:
    with pytest.raises(UnsafeBind):
        check_binding(Binding("0.0.0.0", 8765, None))
    check_binding(Binding("0.0.0.0", 8765, None, {"ada": hash_password("x" * 8)}))


@pytest.mark.slow
def test_curator_add_says_a_running_server_needs_a_restart(tmp_path: Path) -> None:
    """What it says is true: a review page already running keeps answering without sign-in until restarted."""
    from rsiwatch.review.web import create_app

    (tmp_path / "config.yaml").write_text(CONFIG)
    running = create_app(parse_config(CONFIG), tmp_path / "candidates.db").test_client()
    done = add(tmp_path, "ada", "correct horse battery")
    assert done.returncode == 0 and "until it is restarted" in done.stderr
    assert "now asks curators to sign in" not in done.stderr
    assert running.get("/", base_url="http://127.0.0.1:8765").status_code == 200  # as said: no sign-in yet
    restarted = create_app(parse_config((tmp_path / "config.yaml").read_text()), tmp_path / "candidates.db")
    assert restarted.test_client().get("/", base_url="http://127.0.0.1:8765").status_code in (302, 303, 401)


@pytest.mark.parametrize("name", ["علي", "さくら", "Zoë"])
def test_a_curator_name_in_any_script_is_written_as_typed(name: str) -> None:
    """A user walk found `curator add علي` writing "\\u0639\\u0644\\u064A" into config.yaml, a key nobody
    editing the file can read (`rules add` writes its text as typed)."""
    hashed = hash_password("a long enough password")
    text = add_curator_text("review:\n  host: 127.0.0.1\n", name, hashed)
    assert f"    {name}: " in text and "\\u" not in text, text
    assert yaml.safe_load(text)["review"]["curators"] == {name: hashed}


def test_a_plain_form_after_a_restart_asks_to_sign_in_again_with_a_way_back(tmp_path: Path) -> None:
    """After `serve` restarts, every session has ended: a curator's plain form got a JSON 401 body, with
    no way back but to reload it (which posts it again)."""
    db = tmp_path / "candidates.db"
    ids = populate(db, 2)
    config = parse_config(yaml.safe_dump({"review": {"curators": {"ada": hash_password("ada's password")}}}))
    before = create_app(config, db).test_client()
    login = before.get("/login", base_url=BASE).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
    before.post("/login", data={"csrf_token": token, "name": "ada", "password": "ada's password"}, base_url=BASE)
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)">', before.get("/", base_url=BASE).get_data(
        as_text=True)).group(1)
    after = create_app(config, db).test_client()  # the restarted server
    after.set_cookie("rsiwatch_session", before.get_cookie("rsiwatch_session", domain="127.0.0.1").value,
                     domain="127.0.0.1")
    answer = after.post("/api/decide", data={"csrf_token": csrf, "id": ids[0], "action": "reject", "seen": "0",
                                             "next": "/?status=all"},
                        headers={"Origin": BASE, "Accept": "text/html,*/*;q=0.8"}, base_url=BASE)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 401 and answer.mimetype == "text/html", page
    assert "your session ended; nothing was saved: reload the page you came from" in page
    assert re.search(r'<a [^>]*href="/\?status=all"[^>]*data-back>Back to the page</a>', page)
    with Store(db) as store:
        assert decisions(store) == []
