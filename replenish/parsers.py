"""The API's JSON parser: DRF's, except that JSON nested too deeply for Python's parser (a 100,000-deep body) is
a 400 like any other malformed body, never a RecursionError and a 500 (issue 13 item 7)."""

from __future__ import annotations

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error - the body is nested too deeply") from exc
