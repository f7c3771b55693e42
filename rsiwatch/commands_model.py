"""Commands for the model: ``train``, ``score``, ``evaluate`` (``tune`` is in commands_tune)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from classifier import DataFileError, Doc, load_catalog_csv, load_jsonl_docs
from rsiwatch.cli import EXISTING_FILE, SEED_CATALOG, Env, Failure, cli, common, emit_json, json_safe
from rsiwatch.retention import fold_superseded_scores
from rsiwatch.scoring import catalog_docs, ensure_model, rollback_model, score_works, train_and_save, training
from rsiwatch.words import plural

# An input file: click says which one is missing, or is a folder, before the command starts.


@cli.command()
@click.option(
    "--rollback",
    is_flag=True,
    help="Go back to the previous model version, rescore the open works with it, and take out of the queue what only "
         "the newer model put there.",
)
@click.option("--json", "as_json", is_flag=True, help="Write the result as JSON to stdout.")
@common
def train(env: Env, rollback: bool, as_json: bool) -> None:
    """Retrain from the catalog, every decision and the crawled pool; rescore the open candidates.
    The old version is kept for --rollback."""
    config = env.config
    with env.store() as store:
        if rollback:
            back = rollback_model(store, config)
            version, trained_on, run, unqueued = back.version, back.trained_on, back.run, back.unqueued
        else:
            with training(store):
                version, model = train_and_save(store, "rsiwatch train")
            trained_on, unqueued = model.trained_on, []
            run = score_works(store, config, store.works.open_work_ids())
        fold_superseded_scores(store)  # the rescoring superseded a score row per open work
    result = {
        "model_version": version,
        "trained_on": trained_on,
        "rescored": run.scored,
        "newly_queued": len(run.queued),
        "unqueued": len(unqueued),
    }
    if as_json:
        emit_json(result)
    else:
        verb = "rolled back to" if rollback else "trained"
        click.echo(
            f"{verb} model version {version} ({json.dumps(trained_on)}); rescored {plural(run.scored, 'open work')}, "
            f"{len(run.queued)} newly queued"
            + (f", {len(unqueued)} out of the queue again (only the newer model had queued them)" if rollback else ""),
            err=True,
        )


def _read_items(path: Path) -> list[tuple[Doc, int | None]]:
    try:
        return load_jsonl_docs(path)
    except DataFileError as exc:
        raise Failure(str(exc)) from None
    except OSError as exc:
        raise Failure(f"{path}: cannot read: {exc.strerror}") from None


@cli.command()
@click.argument("file", type=EXISTING_FILE)
@common
def score(env: Env, file: Path) -> None:
    """Score items from a JSON Lines file (id, title, summary) with the current model: one JSON object a
    line on stdout with id, score, category and why."""
    with env.store() as store:
        version, model = ensure_model(store)
    docs = [doc for doc, _ in _read_items(file)]
    out = sys.stdout
    for s in model.score_docs(docs):
        out.write(
            json.dumps(
                {
                    "id": s.id,
                    "score": round(float(s.score), 6),
                    "category": s.category,
                    "why": [t for t, _ in s.why],
                    "model_version": version,
                },
                ensure_ascii=False,
            )
            + "\n"
        )


@cli.command()
@click.option(
    "--train", "train_path", required=True, type=EXISTING_FILE, help="Training items (JSONL, label 1/0/null)."
)
@click.option("--test", "test_path", required=True, type=EXISTING_FILE, help="Test items (JSONL with labels).")
@click.option(
    "--scores",
    "scores_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write each test item's score (JSONL).",
)
@click.option(
    "--threshold", type=click.FloatRange(0, 1), help="Threshold for precision/recall (default: the config's)."
)
@click.option("--json", "as_json", is_flag=True, help="Write the metrics as JSON to stdout.")
@common
def evaluate(
    env: Env, train_path: Path, test_path: Path, scores_path: Path | None, threshold: float | None, as_json: bool
) -> None:
    """Train a fresh model exactly as `train` does (the catalog as positives, TRAIN's labels, TRAIN's
    unlabelled rows as the pool) and report metrics on TEST. Needs no config file; writes no database."""
    if env.db_override is not None:
        with env.store() as store:
            catalog = catalog_docs(store)
    else:
        catalog = load_catalog_csv(SEED_CATALOG)
    if threshold is None:
        threshold = env.config_or_defaults().threshold
    try:
        from classifier import evaluate_files

        report = evaluate_files(train_path, test_path, catalog, threshold, scores_out=scores_path)
    except DataFileError as exc:
        raise Failure(str(exc)) from None
    if as_json:
        emit_json(report)
        return
    for key, value in json_safe(report).items():
        click.echo(
            f"{key:>24}: {value:.4f}" if isinstance(value, float) else f"{key:>24}: {'–' if value is None else value}"
        )
