"""Reading policy YAML safely: YAML 1.2 scalars, no duplicate keys, bounded depth and size.

* Unquoted ``18:00`` is the string "18:00" (YAML 1.1 would read the number 1080) and
  ``no`` / ``on`` are strings, not booleans.
* Duplicate keys are errors.
* Nesting deeper than ``MAX_YAML_DEPTH`` (32) is an error, checked while composing (PyYAML
  composes recursively: deep nesting was a ``RecursionError``).
* Aliases are allowed (merge keys ``<<: *x`` are handy), but a document may not expand to
  more than ``MAX_YAML_NODES`` (100,000) values: a few hundred bytes of aliases ("billion
  laughs") expand to 10^9, and any error message quoting such a value would be gigabytes.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.constructor import ConstructorError

MAX_YAML_DEPTH = 32
MAX_YAML_NODES = 100_000


class _PolicyLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 scalars (no sexagesimal 18:00, no yes/no/on/off booleans)
    and errors on duplicate keys, aliases and nesting deeper than ``MAX_YAML_DEPTH``."""

    _depth = 0

    def compose_document(self) -> Any:
        node = super().compose_document()
        if node is not None and _expanded_size(node) > MAX_YAML_NODES:
            raise yaml.composer.ComposerError(
                None, None, f"aliases expand to more than {MAX_YAML_NODES} values", node.start_mark
            )
        return node

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                mark = self.peek_event().start_mark
                raise yaml.composer.ComposerError(
                    None, None, f"nested deeper than {MAX_YAML_DEPTH} levels", mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else id(key_node)
                if key in seen:
                    raise ConstructorError(
                        None, None, f"duplicate key {key!r}", key_node.start_mark
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


_REPLACED = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
_PolicyLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _REPLACED]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_PolicyLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_PolicyLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)
_PolicyLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?"
        r"|\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


def _expanded_size(root: yaml.Node) -> int:
    """How many values the document has once every alias is expanded (iterative, memoised)."""
    size: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in size:
            continue
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [item for pair in node.value for item in pair]
        if children_done:
            size[id(node)] = min(MAX_YAML_NODES + 1, 1 + sum(size.get(id(c), 0) for c in children))
            continue
        if len(stack) > 100 * MAX_YAML_NODES:
            return MAX_YAML_NODES + 1  # a recursive anchor
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in size)
    return size[id(root)]


def load_yaml(text: str) -> Any:
    """Parse policy YAML as the policy file is read (raises yaml.YAMLError)."""
    return yaml.load(text, Loader=_PolicyLoader)  # a SafeLoader subclass
