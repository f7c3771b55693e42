"""``rsiwatch vacuum``: apply retention now and give the freed pages back to the disk (SQLite's VACUUM),
for machines without the sqlite3 command line."""

from __future__ import annotations

import click

from rsiwatch.cli import Env, Failure, cli, common, emit_json
from rsiwatch.lock import LockHeld, take_lock
from rsiwatch.retention import prune
from rsiwatch.words import plural


def _mib(n: int) -> str:
    return f"{n / 1048576:.1f} MiB"


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Write what was folded and the sizes as JSON to stdout.")
@common
def vacuum(env: Env, as_json: bool) -> None:
    """Fold what retention folds (old fetches, unreferenced old scores, old model blobs), then rewrite the
    database without its free pages. Refused while the daemon or a crawl holds the database (stop it
    first); needs free disk space about the size of the database."""
    config = env.config
    with env.existing_store() as store:
        try:
            lock = take_lock(env.db_path, "rsiwatch vacuum")
        except LockHeld as exc:
            raise Failure(f"{exc}; stop it before `rsiwatch vacuum`") from None
        with lock:
            folded = prune(store, config.retention, fold_scores_always=True)
            before, after = store.retention.vacuum()
    result = {"fetch_rows_folded": folded.fetches, "score_rows_folded": folded.scores,
              "model_blobs_dropped": folded.models, "bytes_before": before, "bytes_after": after}
    if as_json:
        emit_json(result)
        return
    click.echo(f"{env.db_path}: {_mib(before)} -> {_mib(after)} ({plural(folded.scores, 'old score row')} and "
               f"{plural(folded.fetches, 'fetch row')} folded, {plural(len(folded.models), 'model blob')} dropped)",
               err=True)
