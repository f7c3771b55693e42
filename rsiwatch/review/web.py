"""The review page: a Flask app over the store, built by ``create_app(config, db_path)``.

Each request opens its own ``Store`` (SQLite in WAL mode copes with the crawler writing meanwhile) and
closes it at teardown.  Pages are server-rendered with autoescaping; ``static/review.js`` adds the
keyboard and posts decisions as JSON calls, each carrying the CSRF token (see ``web_security``); without
it, each card's plain form posts to the same calls and ``web_forms`` answers with a page.
"""

from __future__ import annotations

import math
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import (
    Flask,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import HTTPException

from rsiwatch.catalog.formats import FORMAT_FILES, FORMATS
from rsiwatch.config import Config, curator_name
from rsiwatch.curators import check_curator
from rsiwatch.files import write_atomically
from rsiwatch.present.security import Binding, install, signed_in_curator
from rsiwatch.present.text import (
    AUTHORS_MAX,
    AUTHORS_SHOWN,
    CATEGORIES,
    ENTRY_TITLE_MAX,
    FLAGS,
    PUBLISHED_FIELDS,
    EntryError,
    entry_prefill,
    highlight_html,
    html_to_text,
    published_fields,
    readable_text,
    safe_url,
)
from rsiwatch.review.accepting import accept_work
from rsiwatch.review.entry_form import checked_form_entry
from rsiwatch.review.queue_cards import queue_cards
from rsiwatch.review.queue_filters import QueueFilters, read_queue_filters
from rsiwatch.review.web_forms import form_values, install_plain_forms, safe_next
from rsiwatch.store import ACTIONS, QUEUE_STATUSES, QueueTotal, StaleDecision, Store, StoreError, Work
from rsiwatch.tuning.plot import PLOT_HINT, plot_available, report_png
from rsiwatch.tuning.report import TuningReport, build_report
from rsiwatch.words import plural

PAGE_SIZE = 100
LOGIN_LIMIT = "10 per minute; 100 per day"
def create_app(
    config: Config, db_path: str | Path, *, host: str | None = None, port: int | None = None,
    export_dir: Path | None = None,
) -> Flask:
    """The review app for ``db_path``; ``host``/``port`` (default: the config's) are what the Host check expects.

    Saved exports go to ``export_dir`` (default: ``config.review.export_dir``, relative to the working directory).
    """
    app = Flask(__name__)
    binding = Binding(
        host or config.review.host, config.review.port if port is None else port, config.review.password,
        dict(config.review.curators),
    )
    install(app, binding)
    # Sign-in attempts per client: argon2 makes each guess slow, this makes guessing slower still.
    limiter = Limiter(get_remote_address, app=app, storage_uri="memory://")
    install_plain_forms(app)
    app.config["RSIWATCH_DB"] = Path(db_path)
    app.config["RSIWATCH_CONFIG"] = config
    app.config["RSIWATCH_EXPORT_DIR"] = (export_dir or Path(config.review.export_dir)).resolve()
    app.jinja_env.filters.update(hl=_hl, text=html_to_text, safe_url=safe_url)
    app.jinja_env.globals.update(CATEGORIES=CATEGORIES, FLAGS=FLAGS, TITLE_MAX=ENTRY_TITLE_MAX, AUTHORS_MAX=AUTHORS_MAX,
                                 AUTHORS_SHOWN=AUTHORS_SHOWN)

    @app.teardown_appcontext
    def close_store(_: BaseException | None) -> None:
        store = g.pop("store", None)
        if store is not None:
            store.close()

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        if request.path.startswith("/api/"):
            return jsonify(error=exc.description), exc.code
        if exc.code == 429 and request.endpoint == "login_post":
            return _login_refused(limiter)
        # A refused form post links back to a page (its `next`, else the queue): reloading the refusal
        # would post the same form again.
        back = safe_next(request.form) if request.method == "POST" else None
        return render_template("error.html", code=exc.code, message=exc.description, back=back), exc.code

    @app.errorhandler(StoreError)
    def store_error(exc: StoreError) -> Any:
        if isinstance(exc, StaleDecision):
            # The page showed an older state: say what stands now and who decided it, so the curator can
            # replace it on purpose (sending ``seen`` = ``latest``).
            latest = exc.latest or {}
            return jsonify(
                error=str(exc), status=exc.status, latest=store().decisions.latest_decision_id(exc.work_id),
                standing={k: latest.get(k) for k in ("action", "decided_by", "decided_at", "origin")},
            ), 409
        return jsonify(error=str(exc)), 409

    app.add_url_rule("/favicon.ico", view_func=lambda: Response(status=204))
    app.add_url_rule("/", view_func=queue)
    app.add_url_rule("/login", view_func=login_page)
    app.add_url_rule("/login", endpoint="login_post", view_func=limiter.limit(LOGIN_LIMIT)(login), methods=["POST"])
    app.add_url_rule("/logout", view_func=logout, methods=["POST"])
    app.add_url_rule("/catalog", view_func=catalog)
    app.add_url_rule("/catalog/<int:entry_id>", view_func=catalog_edit, methods=["POST"])
    app.add_url_rule("/accept", view_func=accept_page)
    app.add_url_rule("/stats", view_func=stats)
    app.add_url_rule("/stats/tune.png", view_func=stats_plot)
    app.add_url_rule("/api/entry", view_func=api_entry)
    app.add_url_rule("/api/decide", view_func=api_decide, methods=["POST"])
    app.add_url_rule("/api/accept", view_func=api_accept, methods=["POST"])
    app.add_url_rule("/api/undo", view_func=api_undo, methods=["POST"])
    app.add_url_rule("/export/catalog.<fmt>", view_func=export_download)
    app.add_url_rule("/export/catalog.<fmt>", view_func=export_save, methods=["POST"])
    app.add_url_rule("/exports/<name>", view_func=export_file)
    return app


def store() -> Store:
    if "store" not in g:
        g.store = Store(current_app.config["RSIWATCH_DB"])
    return g.store


def _hl(text: Any, terms: list[str]) -> Any:
    return highlight_html(readable_text(text), terms)


# ---- pages ---------------------------------------------------------------------------------------


def queue() -> str:
    """The review queue: the address's filters, one page of works, a card each."""
    s = store()
    filters = read_queue_filters(request.args)
    works, total = _queue_page(s, filters)
    problems = list(filters.problems)
    if filters.offset and not works and total.count:
        problems.append(f"nothing at offset {filters.offset}: this list holds {total.count}")
    return _render_queue(s, filters, queue_cards(s, works, filters.query), total, problems)


def _queue_page(s: Store, filters: QueueFilters) -> tuple[list[Work], QueueTotal]:
    """The page's works (at most ``PAGE_SIZE`` from the filters' offset) and the count of the whole list."""
    return s.queue.review_queue(
        status=filters.status, query=filters.query or None, source=filters.source or None,
        category=filters.category or None, min_score=filters.min_score, max_score=filters.max_score,
        since=filters.since, until=filters.until, suggested=filters.suggested, limit=PAGE_SIZE,
        offset=filters.offset, order=filters.sort,
    )


def _render_queue(
    s: Store, filters: QueueFilters, cards: list[dict[str, Any]], total: QueueTotal, problems: list[str]
) -> str:
    removed = _removed_sources(s)
    return render_template(
        "queue.html",
        items=cards,
        total=total,
        offset=filters.offset,
        page_size=PAGE_SIZE,
        filters=filters.form_values(),
        sources=[n for n in s.queue.source_names() if n not in removed or n == filters.source],
        removed=removed,
        statuses=QUEUE_STATUSES,
        counts=s.queue.status_counts(),
        filter_problems=problems,
        suggested_count=s.queue.suggested_count(filters.status),
    )


def login_page() -> str:
    return render_template("login.html", next=safe_next(request.args), error=None, name="")


def login() -> Any:
    """Sign a curator in: a fresh session (no fixation), named by the curator, for their decisions."""
    curators = current_app.config["RSIWATCH_CONFIG"].review.curators
    name = (request.form.get("name") or "").strip()
    target = safe_next(request.form)
    if not check_curator(curators, name, request.form.get("password") or ""):
        return render_template("login.html", next=target, error="unknown name or wrong password", name=name[:100]), 401
    session.clear()
    session["curator"] = name
    return redirect(target, code=303)


def _login_refused(limiter: Limiter) -> Response:
    """Too many sign-in attempts: the sign-in page again, the name kept, saying when to try again."""
    limit = limiter.current_limit
    wait = max(1, math.ceil(limit.reset_at - time.time())) if limit is not None else 60
    when = (
        plural(wait, "second")
        if wait < 120
        else plural(round(wait / 60), "minute")
        if wait < 7200
        else plural(round(wait / 3600), "hour")
    )
    page = render_template(
        "login.html",
        next=safe_next(request.form),
        name=(request.form.get("name") or "")[:100],
        error=f"too many sign-in attempts from your address: try again in {when}",
    )
    return Response(page, status=429, headers={"Retry-After": str(wait)})


def logout() -> ResponseReturnValue:
    session.clear()
    return redirect(url_for("login_page") if current_app.config["RSIWATCH_CONFIG"].review.curators else "/", code=303)


def catalog(draft: dict[str, Any] | None = None, error: EntryError | None = None) -> str:
    """The catalog; ``draft`` (an entry's form as the curator sent it) and ``error`` reopen a refused edit."""
    saved = request.args.get("saved", "")
    edited = request.args.get("edited", "")
    return render_template(
        "catalog.html", entries=[{**e, **published_fields(e)} for e in store().catalog.entries()],
        formats=sorted(FORMATS), exports=_exports(),
        note_descriptions=store().catalog.note_descriptions(),
        saved=saved if saved in _exports() else "", edited=int(edited) if edited.isdigit() else None,
        draft=draft, error=error, news=store().scholarly.flags(), withdrawn=store().catalog.catalog_counts()[1],
    )


def catalog_edit(entry_id: int) -> ResponseReturnValue:
    """Save an edited catalog entry (a plain form: works without JavaScript); the old values are logged."""
    s = store()
    entry = s.catalog.catalog_entry(entry_id)
    if entry is None:
        abort(404, description=f"catalog entry {entry_id}: no such entry")
    try:
        edited = checked_form_entry(request.form, entry["work_id"], entry)
    except EntryError as exc:  # the form again, each error by its field, every input as sent
        return Response(catalog(draft={**form_values(request.form), "id": entry_id}, error=exc), status=400)
    s.catalog.catalog_edit(entry_id, edited, origin="web", by=_curator())
    return redirect(url_for("catalog", edited=entry_id) + f"#entry-{entry_id}", code=303)


def accept_page() -> str:
    """The accept form as a page of its own: how a curator accepts without JavaScript (the dialog otherwise)."""
    work = _work_or_404(request.args.get("id", ""))
    # The state the queue showed when its accept link was followed, else the state this page shows now.
    seen = request.args.get("seen", "").strip()
    if not seen.isdigit():
        seen = str(store().decisions.latest_decision_id(work["id"]))
    return render_template(
        "accept.html", work=work, values=_drafted_entry(work), back=safe_next(request.args), seen=seen
    )


def stats() -> str:
    s = store()
    report = build_report(s, current_app.config["RSIWATCH_CONFIG"], proxy=True)
    published, withdrawn = s.catalog.catalog_counts()
    totals = {
        "works": s.works.count("works"),
        "sightings": s.works.count("sightings"),
        "review decisions": s.queue.review_decision_count(),
        "catalog entries (published)": published,
        "catalog entries withdrawn": withdrawn,
    }
    return render_template(
        "stats.html",
        sources=[r for r in s.sources.source_report() if r["name"] not in _removed_sources(s)],
        removed_sources=[r for r in s.sources.source_report() if r["name"] in _removed_sources(s)],
        counts=s.queue.status_counts(),
        weeks=s.queue.decision_counts_by_week(8),
        totals=totals,
        tune=report,
        plottable=_plottable(report),
        drawable=plot_available(),
        plot_hint=PLOT_HINT,
        proxy_now=report.proxy.recall_at([report.threshold])[0] if report.proxy else None,
    )


def _removed_sources(s: Store) -> set[str]:
    """Sources the store knows that the config no longer lists: out of the filter menu and the Stats
    table, their history kept (a filter in the address still works; Stats folds them away)."""
    configured = {source.name for source in current_app.config["RSIWATCH_CONFIG"].sources}
    if not configured:  # a config without sources (a review-only machine) removes nothing
        return set()
    return {row["name"] for row in s.sources.source_report()} - configured


def _plottable(report: TuningReport) -> bool:
    """Curves to draw: reviewed decisions, or the catalog proxy against a stream to weigh it with."""
    return any(p.reviewed for p in report.curve) or (report.proxy is not None and bool(report.stream_scores))


def stats_plot() -> Response:
    """The picture `rsiwatch tune --plot` draws: precision and recall against the threshold, weekly load."""
    report = build_report(store(), current_app.config["RSIWATCH_CONFIG"], proxy=True)
    if not _plottable(report):
        abort(404, description="nothing to draw yet: " + "; ".join(report.needs))
    if not plot_available():
        abort(404, description=PLOT_HINT)
    return Response(report_png(report), mimetype="image/png", headers={"Cache-Control": "no-store"})


# ---- the JSON calls the page makes ---------------------------------------------------------------


def _work_or_404(work_id: str) -> Work:
    if not work_id:  # an address typed or pasted without its ?id= (or a form without its id field)
        abort(400, description="no work named: the address needs ?id= and a work's id, e.g. ?id=arxiv:2401.01234")
    work = store().works.work(work_id)
    if work is None:
        abort(404, description=f"no work with id {work_id!r}")
    return work


def _curator() -> str:
    """Who signs a decision taken on this page: the signed-in curator, else ``review.curator``, else the
    OS user running the page."""
    return signed_in_curator() or curator_name(current_app.config["RSIWATCH_CONFIG"].review)


def _seen() -> int:
    """The decision state the page showed (the latest decision id, 0 for none).  Required: a request that
    says nothing of what it saw could reverse a colleague's newer decision unseen, so it is refused."""
    seen = request.form.get("seen", "").strip()
    if not seen:
        abort(400, description="seen: missing: the id of the latest decision the page showed (reload the page)")
    if not seen.isdigit():
        abort(400, description="seen: expected the id of the latest decision the page showed")
    return int(seen)


def api_entry() -> Response:
    """The entry to prefill the accept form with: the work's own entry if it has one (accepting keeps
    it), else one drafted from the work (its summary's first sentence as the description)."""
    work = _work_or_404(request.args.get("id", ""))
    existing = store().decisions.work_entry(work["id"])
    if existing is not None:
        shown = {**existing, **published_fields(existing)}
        return jsonify({k: shown[k] for k in (*entry_prefill(work), "affiliations", "submitter", *PUBLISHED_FIELDS)
                        if k in shown})
    return jsonify(_drafted_entry(work))


def _drafted_entry(work: Work) -> dict[str, Any]:
    """An entry drafted from a work, crediting whoever sent it in (the Submitter column)."""
    return {
        **entry_prefill(work, store().scholarly.meta_of(work["id"])),
        "submitter": store().submissions.submitter_of(work["id"]),
    }


def api_decide() -> Response:
    work = _work_or_404(request.form.get("id", ""))
    action = request.form.get("action", "")
    if action not in ACTIONS or action == "accept":
        abort(400, description="action must be one of reject, defer, out_of_scope (accept has its own form)")
    note = (request.form.get("note") or "").strip()[:2000] or None
    s = store()
    decision = s.decisions.decide(work["id"], action, note=note, origin="web", by=_curator(), seen=_seen())
    now = s.works.work(work["id"])
    return jsonify(id=work["id"], status=now["status"] if now else None, decision=decision)


def api_accept() -> ResponseReturnValue:
    work = _work_or_404(request.form.get("id", ""))
    s = store()
    try:
        # Fields the form does not carry (an older page, a reduced form) keep the entry's values.
        entry = checked_form_entry(request.form, work["id"], s.decisions.work_entry(work["id"]), sent_only=True)
        accepted = accept_work(s, work, entry, origin="web", by=_curator(), seen=_seen(), given_is_draft=True)
    except EntryError as exc:  # every broken field: ``error`` one line, ``errors`` one by field for the form
        return jsonify(error=str(exc), errors=exc.as_json()), 400
    decision, catalog_id = accepted.decision_id, accepted.entry_id
    return jsonify(
        id=work["id"],
        status="accepted",
        decision=decision,
        catalog_id=catalog_id,
        category=saved["category"] if (saved := s.catalog.catalog_entry(catalog_id)) else None,
    )


def api_undo() -> Response:
    work = _work_or_404(request.form.get("id", ""))
    s = store()
    status = s.decisions.undo(work["id"], origin="web", by=_curator(), seen=_seen())
    return jsonify(id=work["id"], status=status, decision=s.decisions.latest_decision_id(work["id"]))


# ---- catalog export: generated by the app, saved only inside review.export_dir --------------------


def _format_or_404(fmt: str) -> str:
    if fmt not in FORMATS:
        abort(404, description=f"unknown format {fmt!r}")
    return fmt


def export_download(fmt: str) -> Response:
    text = FORMATS[_format_or_404(fmt)](store().catalog.entries())
    return Response(
        text,
        mimetype=FORMAT_FILES[fmt][1],
        headers={"Content-Disposition": f'attachment; filename="rsiwatch-catalog.{FORMAT_FILES[fmt][0]}"'},
    )


def _export_dir() -> Path:
    return current_app.config["RSIWATCH_EXPORT_DIR"]


def _exports() -> list[str]:
    folder = _export_dir()
    if not folder.is_dir():
        return []
    # Only regular files the app wrote: a symlink planted in the folder could point anywhere.
    return sorted(
        (p.name for p in folder.iterdir() if not p.is_symlink() and p.is_file() and _is_export(p.name)), reverse=True
    )


def _is_export(name: str) -> bool:
    return any(name.endswith("." + ending) for ending, _ in FORMAT_FILES.values())


def export_save(fmt: str) -> ResponseReturnValue:
    """Write the export into ``review.export_dir`` under a name the app chooses (never the user's)."""
    text = FORMATS[_format_or_404(fmt)](store().catalog.entries())
    folder = _export_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"catalog-{datetime.now().strftime('%Y%m%d-%H%M%S')}.{FORMAT_FILES[fmt][0]}"
    write_atomically(folder / name, text)
    return redirect(url_for("catalog", saved=name), code=303)


def export_file(name: str) -> ResponseReturnValue:
    if name not in _exports():
        abort(404, description="no such export")
    return send_from_directory(_export_dir(), name, as_attachment=True)
