"""The list's public face: the published pages and the submission form, and nothing of the review page.

``rsiwatch serve --public`` runs this app, not the review app, so no review, decision, export or stats
address exists here (they answer 404).  A submission is only written to the inbox: the POST makes no
request of its own (the page is read after the request, by a crawl, through the SSRF guard; see
``rsiwatch.intake``).  Guards: a CSRF token bound to the visitor's session, a body limit, field limits,
a per-client rate limit on posts (Flask-Limiter) and a honeypot field that people never see.
"""

from __future__ import annotations

import hmac
import logging
import math
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, redirect, render_template, request, send_from_directory, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from rsiwatch.config import Config
from rsiwatch.present.security import csrf_token, security_headers
from rsiwatch.store import Store
from rsiwatch.words import plural

log = logging.getLogger(__name__)

URL_MAX, WHY_MAX, NAME_MAX = 2000, 2000, 100
HONEYPOT = "website"  # hidden from people by CSS; a bot that fills every field gives itself away
HONEYPOT_MAX, TOKEN_MAX = 200, 100  # what the trap and the CSRF token may carry (the token is 43 characters)
# The body cap follows from the fields' own limits in their worst encoding, so text the form accepts is
# never refused for its size: a character is at most 4 bytes of UTF-8, each percent-encoded as 3 ("%E3"),
# so 12 bytes (Japanese is 9: 1,900 characters of it are 17,100 bytes, past the 16 KiB this used to be).
WORST_BYTES_PER_CHAR = 12
FIELD_LIMITS = {"url": URL_MAX, "why": WHY_MAX, "submitter": NAME_MAX, HONEYPOT: HONEYPOT_MAX, "csrf_token": TOKEN_MAX}
ENCODING_SLACK = 1024  # separators, and a multipart body's boundaries and part headers
MAX_BODY_BYTES = (
    sum(len(name) + 2 + limit * WORST_BYTES_PER_CHAR for name, limit in FIELD_LIMITS.items()) + ENCODING_SLACK
)
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


@dataclass(frozen=True)
class SubmissionForm:
    url: str
    why: str
    submitter: str


class FormError(ValueError):
    """What is wrong with a submission, in words for the person who sent it (``"field: what"``)."""

    @property
    def field(self) -> str | None:
        name = str(self).split(":", 1)[0]
        return name if name in FIELD_LIMITS else None


def read_form(form: Any) -> SubmissionForm:
    """The three fields, trimmed and checked; the URL only by its shape (nothing is fetched here)."""
    url = (form.get("url") or "").strip()
    why = (form.get("why") or "").strip()
    submitter = " ".join((form.get("submitter") or "").split())
    if not url:
        raise FormError("url: the address of the paper or post is required")
    if len(url) > URL_MAX:
        raise FormError(f"url: at most {URL_MAX} characters")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        raise FormError("url: expected a web address starting with http:// or https://")
    if not why:
        raise FormError("why: say in a sentence why it is an example of AI improving AI")
    if len(why) > WHY_MAX:
        raise FormError(f"why: at most {WHY_MAX} characters")
    if len(submitter) > NAME_MAX:
        raise FormError(f"submitter: at most {NAME_MAX} characters")
    return SubmissionForm(url, why, submitter)


def create_public_app(config: Config, db_path: str | Path, site_dir: str | Path) -> Flask:
    """The public app: ``site_dir`` (what ``rsiwatch publish`` wrote) and ``/submit`` into ``db_path``."""
    app = Flask(__name__, static_folder=None, template_folder="templates/public")
    app.secret_key = secrets.token_bytes(32)
    app.config.update(
        RSIWATCH_DB=Path(db_path),
        RSIWATCH_SITE=Path(site_dir).resolve(),
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        SESSION_COOKIE_NAME="rsiwatch_public",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    public = config.public
    if public.trusted_proxies:  # behind a reverse proxy the client is the one X-Forwarded-For names
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=public.trusted_proxies, x_proto=public.trusted_proxies, x_host=public.trusted_proxies
        )
    limiter = Limiter(get_remote_address, app=app, storage_uri="memory://", headers_enabled=True)
    app.jinja_env.globals.update(csrf_token=csrf_token, site_title=public.title, limits=FIELD_LIMITS)

    @app.after_request
    def headers(response: Response) -> Response:
        security_headers(response, CSP)
        if request.path.startswith("/submit"):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        if request.method == "POST" and request.path == "/submit" and exc.code in (413, 429):
            return _refused(exc.code, limiter)
        return render_template("message.html", code=exc.code, message=exc.description), exc.code

    app.add_url_rule("/submit", view_func=submit_form)
    # Only a post the form takes in (303) uses up the budget: a visitor whose post was refused for an
    # empty or too long field fixes it and sends it again without being locked out.
    limited = limiter.limit(public.rate_limit, deduct_when=lambda response: response.status_code == 303)
    app.add_url_rule("/submit", endpoint="submit_post", view_func=limited(submit_post), methods=["POST"])
    app.add_url_rule("/submit/thanks", view_func=thanks)
    # Every method reaches the site's handler, so an address of the review page answers 404 to a POST as
    # well, never 405 (which would tell that something lives there).
    anything = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
    app.add_url_rule("/", view_func=published, defaults={"path": ""}, methods=anything)
    app.add_url_rule("/<path:path>", view_func=published, methods=anything)
    return app


def published(path: str) -> Response:
    """A file of the published site (``dir/`` serves ``dir/index.html``); anything else is 404."""
    site: Path = current_app.config["RSIWATCH_SITE"]
    if request.method not in ("GET", "HEAD"):
        abort(404)
    if path == "" or path.endswith("/"):
        path += "index.html"
    elif (site / path).is_dir():
        return redirect(f"/{path}/", code=308)  # type: ignore[return-value]
    return send_from_directory(site, path)


def submit_form() -> str:
    return render_template("submit.html", form={}, error=None, field=None)


def submit_post() -> Any:
    form = request.form
    expected = session.get("csrf")
    given = form.get("csrf_token") or ""
    origin = request.headers.get("Origin")
    if origin and origin != "null" and urlsplit(origin).netloc.lower() != request.host.lower():
        abort(403, description="this form only accepts submissions from its own page")
    if not isinstance(expected, str) or not hmac.compare_digest(given.encode(), expected.encode()):
        # A tab left open across a restart, or cookies off: show the form again with what was typed.
        return _again(form, "this form had expired: please send it again"), 400
    if form.get(HONEYPOT):
        log.info("public form: honeypot filled by %s; dropped", request.remote_addr)
        return redirect("/submit/thanks", code=303)
    try:
        entry = read_form(form)
    except FormError as exc:
        return _again(form, str(exc), exc.field), 400
    with Store(current_app.config["RSIWATCH_DB"]) as store:
        store.submissions.inbox_add(entry.url, entry.why, entry.submitter or None)
    return redirect("/submit/thanks", code=303)


def _again(form: Any, error: str, field: str | None = None) -> str:
    """The form again with everything as typed and the reason by its field (or above the form)."""
    kept = {name: form.get(name) or "" for name in ("url", "why", "submitter")}
    return render_template("submit.html", form=kept, error=error, field=field)


def _refused(code: int, limiter: Limiter) -> Any:
    """A post refused before it was read (too large, or past the rate budget), as the form again: what
    can be read of it kept, and for 429 when to send it again."""
    if code == 429:
        limit = limiter.current_limit
        wait = max(1, math.ceil(limit.reset_at - time.time())) if limit is not None else 60
        message = f"too many suggestions from your address for now: please send this one again in {_duration(wait)}"
        response = current_app.make_response((_again(request.form, message), 429))
        response.headers["Retry-After"] = str(wait)
        return response
    message = (
        "this suggestion is longer than the form takes: the link and the reason are at most "
        f"{URL_MAX:,} characters each, the name {NAME_MAX}"
    )
    return _again({}, message), 413


def _duration(seconds: int) -> str:
    if seconds < 90:
        return plural(seconds, "second")
    minutes, hours = round(seconds / 60), round(seconds / 3600)
    return plural(minutes, "minute") if seconds < 90 * 60 else plural(hours, "hour")


def thanks() -> str:
    return render_template("thanks.html")
