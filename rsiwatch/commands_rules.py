"""``rsiwatch rules``: the curator's pin and mute rules beside the model (config ``rules:``).

``rules test`` previews a rule on the last weeks of the stream before ``rules add`` saves it; saved rules
apply to new items as they are scored, and ``rules apply`` (or ``rules add --apply``) to the queue as it
stands.  The matching is rsiwatch/rules.py, applying it rsiwatch/rule_queue.py.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal, cast

import click
from pydantic import ValidationError

from rsiwatch.cli import BadOption, Env, Failure, cli, common, emit_json, print_table
from rsiwatch.config import RULE_FIELDS, Rule
from rsiwatch.files import write_atomically
from rsiwatch.present.text import readable_text
from rsiwatch.rule_queue import RulePreview, apply_rules, preview, today
from rsiwatch.source_list import add_list_entries_text, remove_list_item_text
from rsiwatch.store import iso_ago
from rsiwatch.words import plural


@cli.group()
def rules() -> None:
    """Pin (always queue) and mute (never queue) rules beside the model: list, test, add, remove, apply."""


def _match_options(func: Any) -> Any:
    for name in reversed(RULE_FIELDS):
        func = click.option(f"--{name}", help=f"Match by {name}.")(func)
    return click.argument("action", type=click.Choice(["pin", "mute"]))(func)


def _rule(action: str, until: str | None, note: str | None, **match: str | None) -> Rule:
    given = {k: v for k, v in match.items() if v is not None}
    if len(given) != 1:
        raise click.UsageError(f"give exactly one of {', '.join('--' + f for f in RULE_FIELDS)}")
    try:
        day = date.fromisoformat(until) if until else None
    except ValueError as exc:
        raise BadOption("--until", until, str(exc)) from None
    try:
        chosen = cast(Literal["pin", "mute"], action)  # click.Choice(("pin", "mute")) gave it
        return Rule(action=chosen, until=day, note=note, **given)
    except ValidationError as exc:  # what the config itself would refuse: a too short value, mute by author
        error = exc.errors()[0]
        # A field's own error names it in ``loc``; the rule-wide check (mute by author) is about the match.
        field = str(error["loc"][0]) if error["loc"] else next(iter(given))
        value = {"until": until, "note": note}.get(field, given.get(field))
        raise BadOption(f"--{field}", value, error["msg"].removeprefix("Value error, ")) from None


def _config_text(env: Env) -> str:
    _ = env.config  # a broken config is refused before it is edited (exit 2)
    if not env.config_path.is_file():
        raise Failure(f"{env.config_path}: no such file; run `rsiwatch init` first (only init writes a config)")
    return env.config_path.read_text(encoding="utf-8")


@rules.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Write JSON to stdout.")
@common
def rules_list(env: Env, as_json: bool) -> None:
    """The rules in config.yaml, numbered, with what each did so far (added to and took out of the queue)."""
    with env.store() as store:
        effects = {e["rule"]: e for e in store.rule_matches.effects()}
    rows = [
        {"n": n, "rule": r.label, "until": r.until.isoformat() if r.until else None, "note": r.note,
         "in_force": r.until is None or r.until >= today(), **{k: effects.get(r.label, {}).get(k, 0) for k in
                                                                ("added", "removed", "kept_out", "accepted")}}
        for n, r in enumerate(env.config.rules, 1)
    ]
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("no rules (add one with `rsiwatch rules add pin --author NAME`)", err=True)
        return
    print_table(("#", "rule", "until", "added", "removed", "kept out", "accepted"), [
        (str(r["n"]), r["rule"] + ("" if r["in_force"] else " (expired)"), r["until"] or "", str(r["added"]),
         str(r["removed"]), str(r["kept_out"]), str(r["accepted"])) for r in rows])


def _show(found: RulePreview, weeks: int) -> None:
    click.echo(f"{found.rule.label}: over the last {plural(weeks, 'week')} "
               f"({plural(found.works, 'work', grouped=True)}), it matches "
               f"{len(found.matched)}")
    if found.rule.action == "pin":
        click.echo(f"  would add {len(found.would_add)} to the queue")
    else:
        click.echo(f"  would take {len(found.would_remove)} out of the queue, and keep the rest out")
    click.echo(f"  decided before: {len(found.accepted)} accepted, {len(found.rejected)} rejected"
               + (" (a mute would have hidden the accepted ones)" if found.rule.action == "mute" and found.accepted
                  else ""))
    for label, ids in (("add", found.would_add), ("remove", found.would_remove), ("accepted", found.accepted)):
        for work_id in ids[:5]:
            click.echo(f"  {label}: {work_id}  {readable_text(found.titles.get(work_id, ''))}")
        if len(ids) > 5:
            click.echo(f"  ... and {len(ids) - 5} more to {label}" if label != "accepted" else
                       f"  ... and {len(ids) - 5} more accepted")


@rules.command(name="test")
@_match_options
@click.option("--weeks", type=click.IntRange(1, 520), default=8, show_default=True, help="How far back to look.")
@click.option("--json", "as_json", is_flag=True, help="Write JSON to stdout.")
@common
def rules_test(env: Env, action: str, weeks: int, as_json: bool, **match: str | None) -> None:
    """Preview a rule on the last weeks of the stream, without saving it: what it would add to and take out
    of the queue, and how many of the works it matches were accepted before."""
    rule = _rule(action, None, None, **match)
    since = iso_ago(timedelta(weeks=weeks).total_seconds())
    with env.store() as store:
        found = preview(rule, store.rule_matches.facts_since(since), since)
    if as_json:
        emit_json(found.to_dict())
    else:
        _show(found, weeks)


@rules.command(name="add")
@_match_options
@click.option("--until", help="The last day the rule holds (YYYY-MM-DD); none: until removed.")
@click.option("--note", help="Why (kept in the config beside the rule).")
@click.option("--apply", "apply_now", is_flag=True, help="Apply it to the queue as it stands, not only to new items.")
@click.option("--weeks", type=click.IntRange(1, 520), default=4, show_default=True,
              help="With --apply: the undecided works first seen in the last WEEKS weeks.")
@common
def rules_add(env: Env, action: str, until: str | None, note: str | None, apply_now: bool, weeks: int,
              **match: str | None) -> None:
    """Save a rule in config.yaml (comments kept); it applies to new items from the next crawl on."""
    rule = _rule(action, until, note, **match)
    entry: dict[str, Any] = {"action": rule.action, rule.field: rule.value}
    if rule.until:
        entry["until"] = rule.until.isoformat()
    if rule.note:
        entry["note"] = rule.note
    text = add_list_entries_text(_config_text(env), "rules", [entry], env.config_path)
    write_atomically(env.config_path, text)
    click.echo(f"saved {rule.label} in {env.config_path}", err=True)
    if apply_now:
        env._config = None  # read the file just written
        _apply(env, weeks)


@rules.command(name="remove")
@click.argument("number", type=click.IntRange(min=1))
@common
def rules_remove(env: Env, number: int) -> None:
    """Remove rule NUMBER (as `rules list` numbers them); what it muted stands on its score again."""
    current = env.config.rules
    if number > len(current):
        there = f"there {'is' if len(current) == 1 else 'are'} {plural(len(current), 'rule')}"
        raise BadOption("NUMBER", str(number), there)
    text = remove_list_item_text(_config_text(env), "rules", number - 1, env.config_path)
    write_atomically(env.config_path, text)
    click.echo(f"removed {current[number - 1].label} from {env.config_path}", err=True)
    env._config = None
    with env.store() as store:
        muted = store.rule_matches.muted_by_rule(current[number - 1].label)
        if muted:
            run = apply_rules(store, env.config, muted)
            click.echo(f"{plural(len(muted), 'work')} it muted {'is' if len(muted) == 1 else 'are'} unmuted; "
                       f"{len(run.pinned)} pinned by another rule", err=True)


def _apply(env: Env, weeks: int) -> None:
    since = iso_ago(timedelta(weeks=weeks).total_seconds())
    with env.store() as store:
        ids = [r["id"] for r in store.rule_matches.facts_since(since) if r["status"] == "new"]
        run = apply_rules(store, env.config, ids)
    click.echo(f"applied {plural(len(env.config.rules), 'rule')} to {plural(len(ids), 'undecided work', grouped=True)} "
               f"of the last {plural(weeks, 'week')}: "
               f"{len(run.pinned)} pinned into the queue, {len(run.muted)} muted out of it", err=True)


@rules.command(name="apply")
@click.option("--weeks", type=click.IntRange(1, 520), default=4, show_default=True,
              help="The undecided works first seen in the last WEEKS weeks.")
@common
def rules_apply(env: Env, weeks: int) -> None:
    """Apply the saved rules to the queue as it stands (new items meet them as they are scored)."""
    _apply(env, weeks)
