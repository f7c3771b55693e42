"""The review page's guards: Host check (DNS rebinding), curators' sign-in or password, CSRF token, and
response headers.

Safe by default: the page binds to loopback; bound anywhere else it refuses to start without curators
(``review.curators``: each signs in, and decisions record who took them) or a shared password.
Every state-changing request is a POST carrying the session's CSRF token; a request naming another Host
is refused before anything else runs, so a rebinding page on another domain reaches nothing.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from flask import Flask, Response, abort, current_app, redirect, request, session
from werkzeug.wrappers import Response as BaseResponse

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
WILDCARD_HOSTS = ("0.0.0.0", "::", "")


class UnsafeBind(ValueError):
    """Bound off loopback without a password: the one line ``serve`` prints before exiting with 2."""


def is_loopback(host: str) -> bool:
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass
class Binding:
    """Where the app is served; ``port`` is updated once a server has bound (port 0 in tests)."""

    host: str
    port: int
    password: str | None
    curators: dict[str, str] = field(default_factory=dict)  # name -> argon2 hash; any: sign-in required

    def allowed_hosts(self) -> set[str] | None:
        """Host header values accepted; None means any (a wildcard bind, which requires a password)."""
        if self.host in WILDCARD_HOSTS:
            return None
        names = set(LOOPBACK_NAMES) if is_loopback(self.host) else {self.host.lower()}
        names = {f"[{n}]" if ":" in n and not n.startswith("[") else n for n in names}
        allowed = {f"{n}:{self.port}" for n in names}
        if self.port == 80:
            allowed |= names
        return allowed


def check_binding(binding: Binding) -> None:
    if not is_loopback(binding.host) and not binding.password and not binding.curators:
        raise UnsafeBind(
            f"refusing to serve on {binding.host}: add a curator (rsiwatch curator add NAME) or set review.password "
            "in config.yaml to serve beyond this machine"
        )


# Addresses open before signing in: the sign-in page itself and the page's own files.
OPEN_ENDPOINTS = ("login_page", "login_post", "static")


def signed_in_curator() -> str | None:
    """The curator signed in on this session, if the config still lists them."""
    name = session.get("curator")
    binding: Binding = current_app.extensions["rsiwatch_binding"]
    return name if isinstance(name, str) and name in binding.curators else None


def security_headers(response: Response, csp: str) -> Response:
    """The headers every page of ours carries (the review page's and the public site's)."""
    response.headers["Content-Security-Policy"] = csp
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    # same-origin, not no-referrer: under no-referrer a browser's plain form POST says "Origin: null",
    # which the guard above refuses (a forged request can say it too); links out still send no referrer.
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    return response


def csrf_token() -> str:
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def install(app: Flask, binding: Binding) -> None:
    """Register the guards and headers on ``app``."""
    check_binding(binding)
    app.secret_key = secrets.token_bytes(32)
    app.config.update(
        SESSION_COOKIE_NAME="rsiwatch_session", SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Strict",
        MAX_CONTENT_LENGTH=256 * 1024,
    )
    app.extensions["rsiwatch_binding"] = binding

    @app.before_request
    def guard() -> BaseResponse | None:
        allowed = binding.allowed_hosts()
        if allowed is not None and request.host.lower() not in allowed:
            abort(403, description="unexpected Host header")
        if binding.curators and request.endpoint not in OPEN_ENDPOINTS and signed_in_curator() is None:
            if request.method == "GET" and not request.path.startswith("/api/"):
                return redirect(f"/login?next={quote(request.full_path.rstrip('?'), safe='/?=&')}", code=303)
            abort(401, description="sign in first: your session ended; nothing was saved: reload the page you "
                  "came from")
        if binding.password and not binding.curators:
            auth = request.authorization
            given = (auth.password or "") if auth is not None else ""
            if not hmac.compare_digest(given.encode("utf-8"), binding.password.encode("utf-8")):
                return Response(
                    "password required\n", 401, {"WWW-Authenticate": 'Basic realm="rsiwatch review"'},
                    mimetype="text/plain",
                )
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            origin = request.headers.get("Origin")
            # Compared by host:port only, so a TLS-terminating proxy in front does not break the page.
            if origin and urlsplit(origin).netloc.lower() != request.host.lower():
                abort(403, description="cross-origin request")
            expected = session.get("csrf")
            given_token = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
            if not isinstance(expected, str) or not hmac.compare_digest(given_token.encode(), expected.encode()):
                # Said for both the script and a plain form: after a restart of `serve` the form's page is
                # stale, and reloading the refusal itself would post the same stale form again.
                abort(403, description="missing or wrong CSRF token (the page is older than the server's last "
                      "start); nothing was saved: reload the page you came from and send it again")
        return None

    @app.after_request
    def headers(response: Response) -> Response:
        security_headers(response, CSP)
        if response.mimetype in ("text/html", "application/json"):
            response.headers["Cache-Control"] = "no-store"
        return response

    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["signed_in_curator"] = signed_in_curator
