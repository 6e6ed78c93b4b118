"""Rails-style nested parameters: ``deal[custom_fields][custom_label_1]=x``, ``ids[]=1``.

Query strings and form bodies use the same bracket syntax; both become nested dicts and
lists here. Indexed lists (``conditions[deal_stage][0]=2``) turn into lists too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

_HEAD = re.compile(r"^([^\[\]]+)")
_PART = re.compile(r"\[([^\[\]]*)")

Params = dict[str, Any]


def parse_query(query_string: str | bytes) -> Params:
    """Nested parameters of a query string (or a form-urlencoded body)."""
    if isinstance(query_string, bytes):
        query_string = query_string.decode("utf-8", errors="replace")
    return nest(parse_qsl(query_string, keep_blank_values=True))


def nest(pairs: Iterable[tuple[str, Any]]) -> Params:
    """Build nested dicts/lists from ``(bracketed name, value)`` pairs."""
    root: Params = {}
    for name, value in pairs:
        head = _HEAD.match(name)
        if head is None:
            continue
        keys = [head.group(1), *_PART.findall(name[head.end() :])]
        _assign(root, keys, value)
    nested: Params = _listify(root)
    return nested


def _assign(node: Params, keys: list[str], value: Any) -> None:
    for index, key in enumerate(keys):
        last = index == len(keys) - 1
        following = None if last else keys[index + 1]
        if key == "":
            # ``name[]``: append to the list held by the parent (handled by the caller).
            return
        if last:
            node[key] = value
            return
        if following == "":
            current = node.get(key)
            if not isinstance(current, list):
                current = []
                node[key] = current
            if index + 1 == len(keys) - 1:
                current.append(value)
            else:
                # ``a[][b]=1``: a list of dicts; start a new dict when the key repeats.
                rest = keys[index + 2 :]
                if not current or not isinstance(current[-1], dict) or rest[0] in current[-1]:
                    current.append({})
                _assign(current[-1], rest, value)
            return
        child = node.get(key)
        if not isinstance(child, dict):
            child = {}
            node[key] = child
        node = child


def _listify(node: Any) -> Any:
    """Dicts whose keys are all digits become lists ordered by index."""
    if isinstance(node, list):
        return [_listify(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _listify(value) for key, value in node.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted
