"""Edit the ``sources:`` list (and the ``rules:`` list) of config.yaml by hand-sized text edits, and speak OPML.

A curator's config.yaml carries comments worth keeping, and PyYAML drops them on a round trip.  So an
added source is one flow-style line (``- {name: x, kind: feed, url: ...}``) placed after the last entry of
the block, and a removed source is the lines of its entry; positions come from PyYAML's node marks.  The
result is validated as a whole ``Config`` before it replaces the file (temp file + rename), so a bad edit
never reaches the disk.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import quoteattr

import yaml
from lxml import etree

from rsiwatch.config import Config, ConfigError, parse_config

OPML_MAX_BYTES = 5 * 1024 * 1024


class EditError(ConfigError):
    """The file cannot be edited safely by rsiwatch (one line, says what to do instead)."""


def flow_line(entry: dict[str, Any]) -> str:
    """``{name: x, kind: feed, url: 'https://...'}`` on one line, keys in the given order."""
    return yaml.safe_dump(entry, default_flow_style=True, sort_keys=False, width=10_000, allow_unicode=True).strip()


def _list_node(text: str, path: Path, key_name: str = "sources") -> tuple[yaml.Node | None, yaml.Node | None]:
    """(the ``key_name`` key node, its value node) of the document, or (None, None)."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise EditError(f"{path}: cannot edit: not valid YAML ({exc.__class__.__name__})") from None
    if root is None:
        return None, None
    if not isinstance(root, yaml.MappingNode):
        raise EditError(f"{path}: cannot edit: the top level is not a mapping")
    for key, value in root.value:
        if key.value == key_name:
            return key, value
    return None, None


def _is_content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def add_source_text(text: str, entry: dict[str, Any], path: Path = Path("config.yaml")) -> str:
    """``text`` with one more source; ``ConfigError`` when the result is not a valid config."""
    return add_sources_text(text, [entry], path)


def add_sources_text(text: str, entries: Sequence[dict[str, Any]], path: Path = Path("config.yaml")) -> str:
    return add_list_entries_text(text, "sources", entries, path)


def add_list_entries_text(text: str, key_name: str, entries: Sequence[dict[str, Any]], path: Path) -> str:
    """``text`` with ``entries`` appended to the top-level list ``key_name`` (made if absent), one flow-style
    line each; ``ConfigError`` when the result is not a valid config."""
    if not entries:
        return text
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    key, node = _list_node(text, path, key_name)
    new = [flow_line(e) for e in entries]
    if key is None:
        lines += [f"{key_name}:\n", *[f"  - {n}\n" for n in new]]
    elif isinstance(node, yaml.SequenceNode) and node.value and not node.flow_style:
        indent = " " * max(0, node.value[0].start_mark.column - 2)
        last = _entry_end(lines, node.value[-1])
        lines[last + 1:last + 1] = [f"{indent}- {n}\n" for n in new]
    elif (isinstance(node, yaml.SequenceNode) and not node.value) or (
        isinstance(node, yaml.ScalarNode) and node.value in ("", "~", "null")
    ):
        line = key.start_mark.line
        if node.end_mark.line != line or not lines[line].lstrip().startswith(key_name):
            raise EditError(f"{path}: cannot edit the {key_name} list safely; edit it by hand")
        comment = lines[line].split("#", 1)[1] if "#" in lines[line] else ""
        lines[line] = f"{key_name}:" + (f"  # {comment.strip()}" if comment else "") + "\n"
        lines[line + 1 : line + 1] = [f"  - {n}\n" for n in new]
    else:
        raise EditError(f"{path}: {key_name} is written in flow style ([...]); make it a block list to edit it here")
    result = "".join(lines)
    parse_config(result, path)
    return result


def _last_node(node: yaml.Node) -> yaml.Node:
    """The node that ends an entry: block collections end where their last scalar or flow value ends."""
    if isinstance(node, yaml.MappingNode) and not node.flow_style and node.value:
        return _last_node(node.value[-1][1])
    if isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value:
        return _last_node(node.value[-1])
    return node


def _entry_end(lines: list[str], node: yaml.Node) -> int:
    """The last line (0-based) holding an entry's content, trailing comments and blanks left out."""
    last = _last_node(node)
    end = last.end_mark.line - (1 if last.end_mark.column == 0 and last.end_mark.line > node.start_mark.line else 0)
    end = min(end, len(lines) - 1)
    while end > node.start_mark.line and not _is_content(lines[end]):
        end -= 1
    return end


def remove_source_text(text: str, name: str, path: Path = Path("config.yaml")) -> str:
    """``text`` without the source ``name``; ``ConfigError`` when there is no such source."""
    key, node = _list_node(text, path)
    if not isinstance(node, yaml.SequenceNode):
        raise ConfigError(f"{path}: no source named {name!r} (the config has no sources list)")
    for item in node.value:
        names = [v.value for k, v in getattr(item, "value", []) if isinstance(k, yaml.ScalarNode) and k.value == "name"]
        if names == [name]:
            return _without_item(text, key, node, item, f"source {name!r}", path)
    raise ConfigError(f"{path}: no source named {name!r}")


def remove_list_item_text(text: str, key_name: str, index: int, path: Path) -> str:
    """``text`` without item ``index`` (from 0) of the top-level list ``key_name``."""
    key, node = _list_node(text, path, key_name)
    if not isinstance(node, yaml.SequenceNode) or not 0 <= index < len(node.value):
        count = len(node.value) if isinstance(node, yaml.SequenceNode) else 0
        raise ConfigError(f"{path}: {key_name} has no item {index + 1} (it has {count})")
    return _without_item(text, key, node, node.value[index], f"{key_name} item {index + 1}", path)


def _without_item(
    text: str, key: yaml.Node | None, node: yaml.SequenceNode, item: yaml.Node, what: str, path: Path
) -> str:
    """``text`` without the lines of one block-list item; the list's last item leaves ``key: []`` (an
    empty key would read as null, which the config refuses).  Validated as a whole config."""
    if node.flow_style:
        raise EditError(f"{path}: the list holding {what} is written in flow style ([...]); remove it by hand")
    lines = text.splitlines(keepends=True)
    start = item.start_mark.line
    end = _entry_end(lines, item)
    dash = lines[start][: item.start_mark.column]
    if dash.strip() != "-":
        raise EditError(f"{path}: cannot find where {what} starts; remove it by hand")
    last = _last_node(item)
    tail = lines[end][last.end_mark.column :] if last.end_mark.line == end else "\n"
    if _is_content(tail):
        raise EditError(f"{path}: {what} shares a line with other content; remove it by hand")
    del lines[start : end + 1]
    if len(node.value) == 1 and key is not None:
        line = key.start_mark.line
        head, _, comment = lines[line].rstrip("\n").partition("#")
        lines[line] = head.rstrip() + " []" + (f"  #{comment}" if comment else "") + "\n"
    result = "".join(lines)
    parse_config(result, path)
    return result


# ---- OPML ---------------------------------------------------------------------------------------


def slug(text: str) -> str:
    """A source name from a feed's title: ``Import AI`` -> ``import-ai``."""
    name = re.sub(r"[^A-Za-z0-9_.\-]+", "-", text.strip().lower()).strip("-._")
    return name[:60] or "feed"


def kind_for(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return "arxiv_rss" if host in ("rss.arxiv.org", "export.arxiv.org") and "/rss" in urlsplit(url).path else "feed"


def read_opml(data: bytes, path: Path) -> list[tuple[str, str]]:
    """(title, feed URL) of every outline with an ``xmlUrl``, nested folders included."""
    if len(data) > OPML_MAX_BYTES:
        raise ConfigError(f"{path}: larger than {OPML_MAX_BYTES // 1048576} MiB, not an OPML subscription list")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ConfigError(f"{path}: not valid OPML: {exc}") from None
    if root is None or etree.QName(root).localname.lower() != "opml":
        raise ConfigError(f"{path}: not OPML (the root element is not <opml>)")
    found = []
    for outline in root.iter("{*}outline", "outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if not re.match(r"^https?://[^\s/]+", url):
            continue
        title = (outline.get("title") or outline.get("text") or urlsplit(url).hostname or "feed").strip()
        found.append((title, url))
    return found


def opml_entries(
    found: Iterable[tuple[str, str]], config: Config, every: str | None
) -> tuple[list[dict[str, Any]], list[str]]:
    """New source entries for the feeds not configured yet (by URL); names made unique; and the skipped URLs."""
    taken = {s.name for s in config.sources}
    known_urls = {s.url for s in config.sources if s.url}
    entries, skipped = [], []
    for title, url in found:
        if url in known_urls:
            skipped.append(url)
            continue
        base = slug(title)
        name, n = base, 2
        while name in taken:
            name, n = f"{base}-{n}", n + 1
        taken.add(name)
        known_urls.add(url)
        entry: dict[str, Any] = {"name": name, "kind": kind_for(url), "url": url}
        if every:
            entry["every"] = every
        entries.append(entry)
    return entries, skipped


def export_opml(config: Config, title: str = "rsiwatch sources") -> str:
    """The feed-like sources (feed, arxiv_rss) as OPML 2.0; html sources as plain links."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        f"  <head><title>{_xml_text(title)}</title></head>",
        "  <body>",
    ]
    for source in config.sources:
        if not source.url:
            continue
        if source.kind in ("feed", "arxiv_rss"):
            lines.append(
                f'    <outline type="rss" text={quoteattr(source.name)} title={quoteattr(source.name)} '
                f"xmlUrl={quoteattr(source.url)}/>"
            )
        elif source.kind == "html":
            lines.append(f'    <outline type="link" text={quoteattr(source.name)} url={quoteattr(source.url)}/>')
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
