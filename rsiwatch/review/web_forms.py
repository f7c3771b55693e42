"""Plain HTML forms for the decisions the page's script makes: the queue works without JavaScript.

The script posts to ``/api/decide``, ``/api/accept`` and ``/api/undo`` and reads JSON.  A plain form posts
to the same endpoints, so it passes the same checks (CSRF token, validation, refusals), and says where to
go back to in a ``next`` field.  For such a request the JSON answer is turned here into what a browser
without a script needs: a 303 back to that page with a message (and an undo button), or, when an accept
is refused over its fields, its form again with each error by its field and every input kept.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, Response, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from rsiwatch.present.text import FLAGS, error_field

PLAIN_FORM_ENDPOINTS = ("api_decide", "api_accept", "api_undo")
_UNSAFE_NEXT = re.compile(r"[\x00-\x20\\]")


def safe_next(values: Any) -> str:
    """The page to go back to: a path on this site (never another host, never a scheme), else the queue."""
    target = str(values.get("next") or "")
    if not target.startswith("/") or target.startswith("//") or _UNSAFE_NEXT.search(target) or len(target) > 2000:
        return url_for("queue")
    return target


def form_values(form: Any) -> dict[str, Any]:
    """An entry form's inputs as sent (to show the form again): every text field, and the ticked flags."""
    values: dict[str, Any] = {key: form.get(key, "") for key in form}
    values["flags"] = [f for f in FLAGS if form.get(f) in ("on", "1", "true", "yes")]
    return values


def is_plain_form() -> bool:
    """A browser's form post (it names a page to go back to), not the script's call (which asks for JSON)."""
    return (request.method == "POST" and "next" in request.form
            and request.accept_mimetypes.best != "application/json")


def _done(data: dict[str, Any]) -> str:
    work_id, status = data.get("id", ""), str(data.get("status", "")).replace("_", " ")
    if request.endpoint == "api_undo":
        return f"undone: {work_id} is {status} again"
    if request.endpoint == "api_accept":
        return f"accepted {work_id} into the catalog as entry {data.get('catalog_id')}"
    return f"{status}: {work_id}"


def _answer(response: Response) -> BaseResponse:
    data = response.get_json(silent=True) or {}
    back = safe_next(request.form)
    if response.status_code == 200:
        # "done:<decision>:<id>" puts an undo button by the message, carrying the state it leaves (the
        # decision just taken) so that undo is refused if a colleague decided the work since.
        flash(_done(data), "undone" if request.endpoint == "api_undo"
              else f"done:{int(data.get('decision') or 0)}:{data.get('id', '')}")
        after = str(request.form.get("after") or "")
        return redirect(back + (f"#w-{after}" if after and not _UNSAFE_NEXT.search(after) else ""), code=303)
    message = str(data.get("error") or response.status)
    if response.status_code in (401, 403):  # refused by the guards: said as a page, nothing else happens
        if "WWW-Authenticate" in response.headers:  # the password prompt: the browser must get it as it is
            return response
        # A link back, as reloading the refusal would post the same form again (a restart of `serve` ends
        # every session and token).
        page = render_template("error.html", code=response.status_code, message=message, back=back)
        return Response(page, status=response.status_code)
    if response.status_code == 409 and "latest" in data:
        return Response(_stale_page(data, back), status=409)
    errors = field_errors(data, message)
    if request.endpoint == "api_accept" and response.status_code == 400 and any(errors):
        page = render_template("accept.html", work_id=request.form.get("id", ""), values=form_values(request.form),
                               error=message, errors=errors, back=back, seen=request.form.get("seen", ""))
        return Response(page, status=400)
    flash(f"not saved: {message}", "error")
    return redirect(back, code=303)


def field_errors(data: dict[str, Any], message: str) -> dict[str, str]:
    """A refusal's messages by the field each names ("" for none): every broken field of an entry
    (``errors``, see ``EntryError.as_json``), else the one message."""
    found: dict[str, str] = {}
    for item in data.get("errors") or [{"field": error_field(message), "message": message}]:
        found.setdefault(str(item.get("field") or ""), str(item.get("message") or ""))
    return found


def yours(form: Any, endpoint: str | None) -> str:
    """What a refused request would have done, in the words the page uses ("reject", "accept", "undo")."""
    if endpoint == "api_undo":
        return "undo"
    if endpoint == "api_accept":
        return "accept"
    return str(form.get("action") or "decide").replace("_", " ")


def _stale_page(data: dict[str, Any], back: str) -> str:
    """The page a stale plain-form post gets: what stands now, who took it, what this request would have
    done, and a button that sends the same request again with the standing state (replacing it on purpose)."""
    resend = [(key, value) for key, value in request.form.items(multi=True) if key not in ("seen", "csrf_token")]
    return render_template("stale.html", work_id=request.form.get("id", ""), standing=data.get("standing") or {},
                           status=str(data.get("status") or ""), latest=int(data.get("latest") or 0),
                           yours=yours(request.form, request.endpoint), resend=resend,
                           action_url=request.path, back=back)


def install_plain_forms(app: Flask) -> None:
    """Answer plain-form posts to the decision endpoints as pages (registered after the security guards)."""

    @app.after_request
    def plain_form_answer(response: Response) -> BaseResponse:
        if request.endpoint in PLAIN_FORM_ENDPOINTS and is_plain_form():
            return _answer(response)
        return response
