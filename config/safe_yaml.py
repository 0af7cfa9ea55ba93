"""The one way Centralino reads YAML: bounded in size, depth, alias expansion and numbers.

Every file a person writes (settings, menu, secrets) goes through :func:`parse_yaml_file`. What a
plain ``yaml.safe_load`` lets through is refused here as :class:`YamlRefused`, with its line:
bytes that are not UTF-8, a file larger than :data:`MAX_BYTES`, nesting deeper than
:data:`MAX_DEPTH`, aliases that expand to more than :data:`MAX_NODES` nodes (a "billion laughs"
file is refused while it is composed, before any Python object is built), recursive aliases,
integers longer than :data:`MAX_INT_DIGITS` digits, NUL characters, and values PyYAML's own
constructors choke on (a date such as 2024-13-45).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent

MAX_BYTES = 2 * 1024 * 1024
"""A settings or menu file is a few kilobytes; this leaves room for long TTS texts."""
MAX_DEPTH = 40
"""Levels of nesting, aliases expanded (the menu file needs about ten)."""
MAX_NODES = 100_000
"""Values in the document once every alias is expanded."""
MAX_INT_DIGITS = 30
"""Digits of an integer (Python refuses to parse more than 4300 and slows down well before)."""


class YamlRefused(Exception):
    """The file cannot be read as YAML, or breaks a limit; ``line`` is 1-based, if known."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _Limit(yaml.MarkedYAMLError):
    """A limit of this module, raised with the mark of the value that broke it."""


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, counting nodes and depth while it composes the document."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0
        self._open_anchors: set[str] = set()
        # id(node) -> (values in it, levels in it), aliases expanded
        self._measured: dict[int, tuple[int, int]] = {}

    def _refuse(self, problem: str, mark: Any) -> _Limit:
        return _Limit(None, None, problem, mark)

    def _count(self, nodes: int, depth: int, mark: Any) -> None:
        self._nodes += nodes
        if self._nodes > MAX_NODES:
            raise self._refuse(f"more than {MAX_NODES} values once aliases are expanded "
                               "(an alias bomb?)", mark)
        if depth > MAX_DEPTH:
            raise self._refuse(f"nested deeper than {MAX_DEPTH} levels", mark)

    def _measure(self, node: yaml.Node) -> tuple[int, int]:
        known = self._measured.get(id(node))
        if known is not None:
            return known
        size, height = 1, 1
        if isinstance(node, yaml.SequenceNode | yaml.MappingNode):
            children = (node.value if isinstance(node, yaml.SequenceNode)
                        else [part for pair in node.value for part in pair])
            for child in children:
                child_size, child_height = self._measure(child)
                size += child_size
                height = max(height, child_height + 1)
                if size > MAX_NODES or height > MAX_DEPTH:
                    break  # already too big: the caller refuses it
        self._measured[id(node)] = (size, height)
        return size, height

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            if event.anchor in self._open_anchors:
                raise self._refuse(f"alias *{event.anchor} is inside the value it names "
                                   "(a recursive structure)", event.start_mark)
            node = super().compose_node(parent, index)
            assert node is not None  # an alias always names a node
            size, height = self._measure(node)
            self._count(size, self._depth + height, event.start_mark)
            return node
        self._depth += 1
        self._count(1, self._depth, event.start_mark)
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            self._open_anchors.add(anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1
            self._open_anchors.discard(anchor)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError, TypeError) as exc:  # e.g. a date 2024-13-45
            raise self._refuse(f"cannot read the value {_excerpt(node)}: {exc}",
                               node.start_mark) from None

    def construct_scalar(self, node: yaml.ScalarNode | yaml.MappingNode) -> Any:
        value = super().construct_scalar(node)
        if isinstance(value, str) and "\x00" in value:
            raise self._refuse("a NUL character in a value", node.start_mark)
        return value

    def construct_bounded_int(self, node: yaml.ScalarNode) -> int:
        text = str(self.construct_scalar(node))
        digits = text.lstrip("+-").replace("_", "").replace(":", "")
        if len(digits) > MAX_INT_DIGITS:
            raise self._refuse(f"an integer of {len(digits)} digits (at most {MAX_INT_DIGITS})",
                               node.start_mark)
        value: int = self.construct_yaml_int(node)
        return value


_BoundedLoader.add_constructor("tag:yaml.org,2002:int", _BoundedLoader.construct_bounded_int)


def _excerpt(node: yaml.Node) -> str:
    value = node.value if isinstance(node, yaml.ScalarNode) else f"<{type(node).__name__}>"
    return repr(value if len(value) <= 40 else value[:40] + "...")


def decode_yaml_bytes(data: bytes) -> str:
    """``data`` as text; :class:`YamlRefused` if it is too large or not UTF-8."""
    if len(data) > MAX_BYTES:
        raise YamlRefused(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MiB", None)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[line_start:exc.start].decode("utf-8", "replace")) + 1
        raise YamlRefused(f"not UTF-8: byte 0x{data[exc.start]:02x} at column {column} "
                          "(save the file as UTF-8)",
                          data.count(b"\n", 0, exc.start) + 1) from None


def parse_yaml(text: str) -> tuple[Any, yaml.Node | None]:
    """The single document in ``text``, as Python data and as the composed node tree (for line
    numbers). :class:`YamlRefused` for bad YAML or a broken limit."""
    loader: _BoundedLoader | None = None
    try:
        loader = _BoundedLoader(text)
        node = loader.get_single_node()
        as_written = _mapping_entries(node)
        data = loader.construct_document(node) if node is not None else None
        for mapping, entries in as_written:  # construction merged ``<<`` keys into them
            mapping.value = entries
    except _Limit as exc:
        raise YamlRefused(str(exc.problem), _line(exc.problem_mark)) from None
    except yaml.MarkedYAMLError as exc:
        raise YamlRefused(f"not valid YAML: {exc}", _line(exc.problem_mark)) from None
    except yaml.reader.ReaderError as exc:  # a NUL or other unprintable character in the file
        line = text.count("\n", 0, exc.position) + 1
        raise YamlRefused(f"not valid YAML: character {exc.character:#06x} is not "
                          "allowed in a YAML file", line) from None
    except yaml.YAMLError as exc:
        raise YamlRefused(f"not valid YAML: {exc}", None) from None
    except RecursionError:
        raise YamlRefused(f"nested deeper than {MAX_DEPTH} levels", None) from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, node


def parse_yaml_file(path: Path) -> tuple[Any, yaml.Node | None]:
    """:func:`parse_yaml` of the file ``path``; OSError if it cannot be read."""
    with path.open("rb") as handle:
        data = handle.read(MAX_BYTES + 1)
    return parse_yaml(decode_yaml_bytes(data))


def _mapping_entries(root: yaml.Node | None) -> list[tuple[yaml.MappingNode, list[Any]]]:
    """Every mapping node of the tree and its entries, as written (each node once)."""
    found: list[tuple[yaml.MappingNode, list[Any]]] = []
    seen: set[int] = set()
    pending = [root] if root is not None else []
    while pending:
        node = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            found.append((node, list(node.value)))
            pending.extend(part for pair in node.value for part in pair)
        elif isinstance(node, yaml.SequenceNode):
            pending.extend(node.value)
    return found


def _line(mark: yaml.Mark | None) -> int | None:
    return mark.line + 1 if mark is not None else None
