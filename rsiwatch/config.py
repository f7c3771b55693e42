"""One typed configuration, loaded once from ``config.yaml`` and passed down.

Every default lives here.  Unknown keys are errors, and every error becomes a single line that names
the file, the field, the value and what was expected (``ConfigError``), so the CLI can exit with 2.
"""

from __future__ import annotations

import re
import reprlib
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from classifier.labels import DEFAULT_THRESHOLD
from crawler import settings as crawl
from crawler.cron import cron_gap_s, parse_crontab
from crawler.settings import SourceKind

DEFAULT_CONFIG_PATH = Path("config.yaml")
DEFAULT_DATABASE = "candidates.db"

# Durations beyond this are typos (``99999999999d``) and would overflow date arithmetic later.
MAX_DURATION_S = 10 * 366 * 86400.0

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class ConfigError(Exception):
    """A configuration problem, already phrased as the one line a user should see."""


def parse_duration(value: str | int | float) -> float:
    """``3s``, ``10m``, ``6h``, ``1d``, ``2w`` (or a bare number of seconds) -> seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30s, 10m, 6h or 1d")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ValueError("expected a duration such as 30s, 10m, 6h or 1d")
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if not seconds > 0:  # also catches NaN
        raise ValueError("expected a duration greater than zero")
    if seconds > MAX_DURATION_S:
        raise ValueError("expected a duration of at most 10 years")
    return seconds


def is_cron(value: str) -> bool:
    """Shaped like a crontab (five whitespace-separated fields, e.g. ``0 6 * * mon-fri``), not a duration."""
    return len(str(value).split()) == 5


def check_crontab(value: str) -> str:
    """``value`` if the scheduler accepts it as a crontab (its own parser decides), else ``ValueError``."""
    parse_crontab(value)
    return value


# A wait or delay in seconds: at most MAX_DURATION_S, so date arithmetic on it cannot overflow.
Seconds = Annotated[float, Field(ge=0, le=MAX_DURATION_S)]


class _Strict(BaseModel):
    # No inf or NaN: ``jitter_s: .inf`` would pass ``ge=0`` and overflow the scheduler's date arithmetic.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


# The crawler's settings, validated: the defaults are the crawler's own (crawler/settings.py), and each
# model's ``settings`` (a source's ``spec``) is the crawler's value, mapped here at the edge.
class Politeness(_Strict):
    default_delay_s: Seconds = crawl.DEFAULT_DELAY_S
    per_host_delay_s: dict[str, Seconds] = Field(default_factory=lambda: dict(crawl.DEFAULT_PER_HOST_DELAY_S))
    host_groups: dict[str, list[str]] = Field(
        default_factory=lambda: {group: list(hosts) for group, hosts in crawl.DEFAULT_HOST_GROUPS.items()}
    )
    obey_robots: bool = True
    max_retry_after_s: Seconds = crawl.DEFAULT_MAX_RETRY_AFTER_S

    @property
    def settings(self) -> crawl.Politeness:
        return crawl.Politeness(
            default_delay_s=self.default_delay_s,
            per_host_delay_s=dict(self.per_host_delay_s),
            host_groups={group: tuple(hosts) for group, hosts in self.host_groups.items()},
            obey_robots=self.obey_robots,
            max_retry_after_s=self.max_retry_after_s,
        )


class Http(_Strict):
    connect_timeout_s: Annotated[float, Field(gt=0)] = crawl.DEFAULT_CONNECT_TIMEOUT_S
    read_timeout_s: Annotated[float, Field(gt=0)] = crawl.DEFAULT_READ_TIMEOUT_S
    total_timeout_s: Annotated[float, Field(gt=0)] = crawl.DEFAULT_TOTAL_TIMEOUT_S
    max_body_bytes: Annotated[int, Field(gt=0)] = crawl.DEFAULT_MAX_BODY_BYTES
    max_redirects: Annotated[int, Field(ge=0)] = crawl.DEFAULT_MAX_REDIRECTS
    retries: Annotated[int, Field(ge=0, le=10)] = crawl.DEFAULT_RETRIES
    allow_private_addresses: bool = False

    @property
    def settings(self) -> crawl.HttpSettings:
        return crawl.HttpSettings(**self.model_dump())


class Selectors(_Strict):
    """CSS selectors for an ``html`` source; ``a@href`` reads an attribute."""

    item: str
    title: str | None = None
    link: str | None = None
    summary: str | None = None
    date: str | None = None

    @property
    def settings(self) -> crawl.Selectors:
        return crawl.Selectors(**self.model_dump())


class Source(_Strict):
    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]
    kind: SourceKind
    url: str | None = None
    query: str | None = None
    every: str | int | None = None
    cron: str | None = None
    enabled: bool = True
    threshold: Annotated[float, Field(ge=0, le=1)] | None = None
    max_results: Annotated[int, Field(gt=0, le=30000)] = crawl.DEFAULT_MAX_RESULTS
    page_size: Annotated[int, Field(gt=0, le=2000)] = crawl.DEFAULT_PAGE_SIZE
    include_replacements: bool = False
    split_stories: bool = False
    follow_links: bool = False
    select: Selectors | None = None

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("expected an http:// or https:// URL")
        return value

    @field_validator("every")
    @classmethod
    def _every(cls, value: str | int | None) -> str | int | None:
        if value is None:
            return value
        if isinstance(value, str) and is_cron(value):
            return check_crontab(value)
        parse_duration(value)
        return value

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        return None if value is None else check_crontab(value)

    @model_validator(mode="after")
    def _kind_needs(self) -> Source:
        if self.kind in ("feed", "arxiv_rss", "html", "oai_pmh") and not self.url:
            raise ValueError(f"a source of kind {self.kind} needs a url")
        if self.kind == "arxiv_api" and not self.query:
            raise ValueError("a source of kind arxiv_api needs a query")
        if self.every is not None and self.cron is not None:
            raise ValueError("give either every or cron, not both")
        return self

    @property
    def endpoint(self) -> str:
        """The URL this source fetches (``arxiv_api`` defaults to arXiv's own API)."""
        return self.spec.endpoint

    @property
    def registration(self) -> tuple[str, str, str | None]:
        """How the store's ``sources`` table knows this source: (name, kind, URL or endpoint)."""
        return self.name, self.kind, self.url or self.endpoint

    @property
    def spec(self) -> crawl.SourceSpec:
        """What the crawler needs to fetch and parse this source."""
        return crawl.SourceSpec(
            name=self.name, kind=self.kind, url=self.url, query=self.query, max_results=self.max_results,
            page_size=self.page_size, include_replacements=self.include_replacements,
            split_stories=self.split_stories, follow_links=self.follow_links,
            select=self.select.settings if self.select is not None else None,
        )

    @property
    def cron_expression(self) -> str | None:
        if self.cron:
            return self.cron
        if isinstance(self.every, str) and is_cron(self.every):
            return self.every
        return None

    @property
    def interval_s(self) -> float:
        """Seconds between runs for interval schedules (a day when nothing is said)."""
        if self.every is None or self.cron_expression:
            return 86400.0
        return parse_duration(self.every)

    def interval_at(self, at: datetime) -> float:
        """Seconds from the run due at ``at`` to the next: the gap between cron firings, or ``interval_s``."""
        cron = self.cron_expression
        return cron_gap_s(cron, at) if cron else self.interval_s


class Review(_Strict):
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8765
    password: str | None = None
    export_dir: str = "exports"
    curator: str | None = None  # who decisions are recorded as taken by; default: the OS user name
    audit_per_week: Annotated[int, Field(ge=0)] = 5
    uncertain_share: Annotated[float, Field(ge=0, le=1)] = 0.1
    # A work that this many independent sources discuss (newsletters, blogs, suggestions; not arXiv's own
    # listings) joins the queue whatever its score, as "discussed"; 0 turns it off.
    discussed_sources: Annotated[int, Field(ge=0, le=100)] = 3
    # Curators who sign in on the review page: name -> argon2 hash (``rsiwatch curator add NAME`` writes it).
    # When any is set, the page asks every visitor to sign in, and each decision records who took it.
    curators: dict[str, str] = Field(default_factory=dict)

    @field_validator("curators")
    @classmethod
    def _argon2_hashes(cls, value: dict[str, str]) -> dict[str, str]:
        for name, hashed in value.items():
            if not name.strip() or len(name) > 100:
                raise ValueError(f"curator name {name!r}: expected 1 to 100 characters")
            if not str(hashed).startswith("$argon2"):
                raise ValueError(f"curator {name!r}: expected an argon2 hash (run `rsiwatch curator add {name}`)")
        return value


OPENALEX_KEY_ENV = "OPENALEX_API_KEY"


class Scholarly(_Strict):
    """OpenAlex and arXiv's API beside the feeds: the citation watch (a source of kind ``openalex``), drafts
    filled in from OpenAlex, and the catalog's works checked for news.  The API key is never printed."""

    openalex: str = crawl.DEFAULT_OPENALEX_URL
    api_key: str | None = Field(default=None, repr=False)  # else $OPENALEX_API_KEY
    arxiv_api: str = crawl.DEFAULT_ARXIV_API_URL
    enrich: bool | None = None  # fill drafts from OpenAlex during the crawl; default: when a key is given
    cites_to_queue: Annotated[int, Field(ge=0, le=100)] = 2  # citing this many catalog entries queues a work
    check_every: str | int | None = "7d"  # the catalog's works checked for versions, withdrawals, venues

    @field_validator("check_every")
    @classmethod
    def _duration(cls, value: str | int | None) -> str | int | None:
        if value is not None:
            parse_duration(value)
        return value

    def key(self) -> str | None:
        """The API key: the environment's first (kept out of files), then the config's."""
        import os

        return os.environ.get(OPENALEX_KEY_ENV) or self.api_key

    @property
    def enriching(self) -> bool:
        return self.enrich if self.enrich is not None else self.key() is not None


RULE_FIELDS = ("author", "phrase", "source", "category")


class Rule(_Strict):
    """A curator's rule beside the model: ``pin`` queues the works it matches whatever their score,
    ``mute`` keeps them out of the queue (they stay in the database, searchable, and in the audit).
    Exactly one of author, phrase, source or category; ``until`` ends it (that day included)."""

    action: Literal["pin", "mute"]
    author: Annotated[str, Field(min_length=2, max_length=200)] | None = None
    phrase: Annotated[str, Field(min_length=2, max_length=200)] | None = None
    source: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    category: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    until: date | None = None
    note: Annotated[str, Field(max_length=500)] | None = None

    @model_validator(mode="after")
    def _one_match(self) -> Rule:
        given = [f for f in RULE_FIELDS if getattr(self, f) is not None]
        if len(given) != 1:
            raise ValueError(f"a rule takes exactly one of {', '.join(RULE_FIELDS)} (got {', '.join(given) or 'none'})")
        if self.action == "mute" and given == ["author"]:
            raise ValueError("mute takes a phrase, source or category, not an author")
        return self

    @property
    def field(self) -> str:
        return next(f for f in RULE_FIELDS if getattr(self, f) is not None)

    @property
    def value(self) -> str:
        return str(getattr(self, self.field))

    @property
    def label(self) -> str:
        """What a card and ``tune`` say of it: ``pinned author: David Silver``."""
        return f"{'pinned' if self.action == 'pin' else 'muted'} {self.field}: {self.value}"


DEFAULT_SITE_TITLE = "Examples of AI improving AI development"


class Public(_Strict):
    """``rsiwatch serve --public``: the published site and the submission form."""

    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8080
    site_dir: str = "site"  # what `rsiwatch publish` writes and the public server serves, beside the config
    rate_limit: str = "5 per minute; 30 per day"  # posts of /submit per client (Flask-Limiter's notation)
    trusted_proxies: Annotated[int, Field(ge=0, le=5)] = 0  # reverse proxies in front that set X-Forwarded-For
    # The site's title (`publish --title` overrides it), on the published pages and the public form alike.
    title: Annotated[str, Field(min_length=1, max_length=200)] = DEFAULT_SITE_TITLE
    # Name the curator who accepted each entry in the published catalog.json (`reviewed_by`); off, the
    # public files credit submitters only (the private `catalog export` always names reviewers).
    show_reviewers: bool = False

    @field_validator("rate_limit")
    @classmethod
    def _limits(cls, value: str) -> str:
        from limits import parse_many

        try:
            if not parse_many(value):
                raise ValueError
        except ValueError:
            raise ValueError("expected limits such as '5 per minute; 30 per day'") from None
        return value


class Digest(_Strict):
    out_dir: str = "digests"  # where the daemon writes each week's digest, beside the database
    to: list[str] = Field(default_factory=list)
    smtp_host: str | None = None
    smtp_port: Annotated[int, Field(ge=1, le=65535)] = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    sender: str | None = None


# However it is configured, a failing source is tried again at least once a day.
MAX_BACKOFF_S = 86400.0


class Schedule(_Strict):
    jitter_s: Seconds = 60.0
    misfire_grace_s: Seconds = 6 * 3600.0
    retrain_every: str | int | None = "7d"
    retrain_after_decisions: Annotated[int, Field(ge=0)] = 50
    digest_every: str | None = "0 8 * * mon"  # a crontab expression (UTC); null: no weekly digest
    # A source failing this many times in a row is a warning (status, `status --check`, the log, the
    # digest); it keeps being retried.  0.1 called it pause_after_failures and paused the source for good,
    # so a long outage stopped every source silently: the old name is still read, with the new meaning.
    warn_after_failures: Annotated[int, Field(ge=1, validation_alias=AliasChoices(
        "warn_after_failures", "pause_after_failures"))] = 5
    # A failing source waits backoff_base_s, then twice that, and so on up to backoff_max_s (and never more
    # than a day, MAX_BACKOFF_S): it is retried for as long as it fails.
    backoff_base_s: Seconds = 300.0
    backoff_max_s: Seconds = 3600.0


    @field_validator("retrain_every")
    @classmethod
    def _retrain_duration(cls, value: str | int | None) -> str | int | None:
        if value is not None:
            parse_duration(value)  # the daemon reads it as a duration; refuse a typo at load
        return value

    @field_validator("digest_every")
    @classmethod
    def _digest_cron(cls, value: str | None) -> str | None:
        return None if value is None else check_crontab(value)


class Retention(_Strict):
    """How much history the database keeps (pruned by the daemon and by each ``crawl``)."""

    fetches: str | int = "90d"  # fetch rows older than this fold into one summary row per source
    models: Annotated[int, Field(ge=0)] = 5  # model blobs kept besides the active one (newest first)

    @field_validator("fetches")
    @classmethod
    def _fetches_duration(cls, value: str | int) -> str | int:
        parse_duration(value)  # raises ValueError with the expected form
        return value

    @property
    def fetches_s(self) -> float:
        return parse_duration(self.fetches)


class Logging(_Strict):
    format: Literal["human", "json"] = "human"
    file: str | None = None


class Config(_Strict):
    database: str = DEFAULT_DATABASE
    contact: str = "rsiwatch-user@example.org"
    threshold: Annotated[float, Field(ge=0, le=1)] = DEFAULT_THRESHOLD
    catalog_seed: str | None = None
    politeness: Politeness = Field(default_factory=Politeness)
    http: Http = Field(default_factory=Http)
    sources: list[Source] = Field(default_factory=list)
    review: Review = Field(default_factory=Review)
    public: Public = Field(default_factory=Public)
    digest: Digest = Field(default_factory=Digest)
    schedule: Schedule = Field(default_factory=Schedule)
    logging: Logging = Field(default_factory=Logging)
    retention: Retention = Field(default_factory=Retention)
    rules: list[Rule] = Field(default_factory=list)
    scholarly: Scholarly = Field(default_factory=Scholarly)

    @model_validator(mode="after")
    def _unique_names(self) -> Config:
        seen: set[str] = set()
        for source in self.sources:
            if source.name in seen:
                raise ValueError(f"source name {source.name!r} is used twice")
            seen.add(source.name)
        return self

    def source(self, name: str) -> Source:
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.sources) or "none"
        raise ConfigError(f"no source named {name!r} (configured: {known})")

    @property
    def source_registrations(self) -> list[tuple[str, str, str | None]]:
        """Every configured source as the store's ``sources`` table records it (``Sources.ensure_sources``)."""
        return [s.registration for s in self.sources]


def _field_path(loc: tuple[Any, ...], data: Any) -> tuple[str, Any]:
    """Render a pydantic location as ``sources[2].every`` and fetch the offending value."""
    path, value, present = "", data, True
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in ("function-after", "function-before") or str(part).startswith(("str", "int", "float")):
            continue
        else:
            path += f".{part}" if path else str(part)
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            present = False
    return path or "(top level)", value if present else None


_SHORT_REPR = reprlib.Repr()
_SHORT_REPR.maxlevel, _SHORT_REPR.maxlist, _SHORT_REPR.maxdict = 3, 6, 6
_SHORT_REPR.maxstring, _SHORT_REPR.maxother = 80, 80


def _one_line(path: Path, error: ValidationError, data: Any) -> str:
    first = error.errors()[0]
    # Union members (str | int) yield one error per member; show the location without the member.
    loc = tuple(p for p in first["loc"] if p not in ("str", "int", "float", "bool", "constrained-float"))
    field, value = _field_path(loc, data)
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        return f"{path}: {field}: unknown key (check its spelling; see `rsiwatch init` for the accepted keys)"
    if first["type"] == "missing":
        return f"{path}: {field}: required key is missing"
    # A bounded repr: a YAML alias bomb is a few lines of text but a value with billions of elements.
    shown = _SHORT_REPR.repr(value) if value is not None else "null"
    if field.endswith(("api_key", "password", "smtp_password")):
        shown = "(the value, not shown)"  # a secret is never echoed, not even a mistyped one
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return f"{path}: {field}: {shown} is invalid: {message}"


class DuplicateKey(Exception):
    """A key written twice in one mapping (YAML would silently keep the last)."""

    def __init__(self, key: str, line: int, first_line: int) -> None:
        super().__init__(f"{key}: written twice (line {first_line} and line {line}); keep one")
        self.key, self.line = key, line


class _UniqueKeyLoader(yaml.SafeLoader):
    """``safe_load`` that refuses a key written twice, as an unknown key is refused: the second would
    silently replace the first."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                hash(key)
            except TypeError:
                continue  # an unhashable key: construct_mapping below reports it
            line = key_node.start_mark.line + 1
            if key in seen:
                raise DuplicateKey(str(key), line, seen[key])
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def parse_config(text: str, path: Path = DEFAULT_CONFIG_PATH, *, empty_ok: bool = True) -> Config:
    """Validate YAML text (``safe_load`` only) into a ``Config``; raise ``ConfigError`` with one line.

    An empty document (nothing but comments and blank lines) is the defaults, unless ``empty_ok`` is
    false: a running daemon must not take a file an editor has just truncated for "no sources"."""
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except DuplicateKey as exc:
        raise ConfigError(f"{path}: line {exc.line}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ConfigError(f"{path}: invalid YAML{where}: {problem}") from None
    except RecursionError:
        raise ConfigError(f"{path}: invalid YAML: nested too deeply") from None
    except (ValueError, TypeError, OverflowError) as exc:  # a tagged scalar that does not convert: ``!!int x``
        raise ConfigError(f"{path}: invalid YAML: {type(exc).__name__}: {exc}".replace("\n", " ")) from None
    if data is None:
        if not empty_ok:
            raise ConfigError(f"{path}: empty (no settings at all): half-saved, or emptied by mistake?")
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: expected a mapping of keys (database, contact, sources, ...), got {type(data).__name__}"
        )
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_one_line(path, exc, data)) from None
    except RecursionError:  # a self-referencing alias (``a: &a [*a]``) in a field pydantic descends into
        raise ConfigError(f"{path}: a value refers to itself or is nested too deeply") from None


def load_config(path: Path | str | None = None, *, required: bool = False, empty_ok: bool = True) -> Config:
    """Read ``config.yaml``; a missing file gives the defaults unless ``required``, an empty one unless
    not ``empty_ok``."""
    path = Path(path) if path is not None else DEFAULT_CONFIG_PATH
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if required:
            raise ConfigError(f"{path}: no such file (run `rsiwatch init` to write one)") from None
        return Config()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    return parse_config(text, path, empty_ok=empty_ok)


def curator_name(review: Review) -> str:
    """Who a decision is recorded as taken by when no ``--by`` says: ``review.curator``, else the OS user."""
    if review.curator:
        return review.curator
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in a bare container
        return "unknown"
