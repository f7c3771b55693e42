"""Curators who sign in: argon2 password hashes in config.yaml's ``review.curators``.

``rsiwatch curator add NAME`` hashes a password and writes it into the file by a hand-sized text edit
(PyYAML would drop the file's comments on a round trip, as ``source_list`` explains), validated as a
whole config before it replaces the file.
"""

from __future__ import annotations

import yaml
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from rsiwatch.config import parse_config
from rsiwatch.source_list import EditError, _is_content

_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(hashed: str, password: str) -> bool:
    try:
        return _HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def check_curator(curators: dict[str, str], name: str, password: str) -> bool:
    """Whether ``password`` is ``name``'s.  Unknown names cost as much as known ones (no timing hint)."""
    hashed = curators.get(name)
    if hashed is None:
        verify_password(_DUMMY, password)
        return False
    return verify_password(hashed, password)


_DUMMY = _HASHER.hash("not a password anyone has")


def add_curator_text(text: str, name: str, hashed: str) -> str:
    """``text`` (a config.yaml) with ``review.curators.NAME`` set to ``hashed``; comments are kept."""
    try:
        root = yaml.compose(text) if text.strip() else None
    except yaml.YAMLError as exc:
        raise EditError(f"cannot edit: not valid YAML ({exc.__class__.__name__})") from None
    entry = f"{yaml.safe_dump({name: hashed}, default_flow_style=True, width=10_000, allow_unicode=True).strip()[1:-1]}"
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    review = _child(root, "review")
    if review is None:
        lines += ["review:\n", "  curators:\n", f"    {entry}\n"]
    else:
        key, value = review
        if not isinstance(value, yaml.MappingNode) or value.flow_style:
            raise EditError("cannot edit review: in flow style; add the curator by hand")
        curators = _child(value, "curators")
        if curators is None:
            indent = _indent_of(value, lines, key.start_mark.column + 2)
            lines.insert(key.end_mark.line + 1, f"{' ' * indent}curators:\n{' ' * (indent + 2)}{entry}\n")
        else:
            ckey, cvalue = curators
            if isinstance(cvalue, yaml.MappingNode) and not cvalue.flow_style and cvalue.value:
                old = _child(cvalue, name)
                indent = cvalue.value[0][0].start_mark.column
                if old is not None:
                    okey, ovalue = old
                    del lines[okey.start_mark.line:ovalue.end_mark.line + 1]
                    lines.insert(okey.start_mark.line, f"{' ' * indent}{entry}\n")
                else:
                    last_value = cvalue.value[-1][1]
                    lines.insert(last_value.end_mark.line + 1, f"{' ' * indent}{entry}\n")
            elif isinstance(cvalue, yaml.ScalarNode) and cvalue.value in ("", "null", "~"):
                indent = ckey.start_mark.column + 2
                line = lines[ckey.start_mark.line]
                lines[ckey.start_mark.line] = line[:ckey.start_mark.column] + "curators:\n"
                lines.insert(ckey.start_mark.line + 1, f"{' ' * indent}{entry}\n")
            else:
                raise EditError("cannot edit review.curators: in flow style; add the curator by hand")
    edited = "".join(lines)
    parse_config(edited)  # a bad edit never reaches the disk
    return edited


def _child(node: yaml.Node | None, name: str) -> tuple[yaml.Node, yaml.Node] | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for key, value in node.value:
        if key.value == name:
            return key, value
    return None


def _indent_of(mapping: yaml.MappingNode, lines: list[str], default: int) -> int:
    for key, _ in mapping.value:
        if _is_content(lines[key.start_mark.line]):
            return key.start_mark.column
    return default

