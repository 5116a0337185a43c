"""JSON parser with a nesting limit.

Python's decoder recurses per nesting level: a body of a few thousand `[` raises
RecursionError (a 500 in plain DRF). No ITAM body needs more than a handful of levels, so
anything deeper than MAX_JSON_DEPTH is a malformed body (400).
"""
from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_JSON_DEPTH = 32
TOO_DEEP = f"JSON is nested more than {MAX_JSON_DEPTH} levels deep."


def nesting_depth(value):
    """Depth of nested arrays/objects, iteratively so that it cannot recurse itself."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            node = node.values()
        elif not isinstance(node, list):
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_DEPTH:
            break
        stack.extend((child, depth + 1) for child in node)
    return deepest


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP)
        if nesting_depth(data) > MAX_JSON_DEPTH:
            raise ParseError(TOO_DEEP)
        return data
