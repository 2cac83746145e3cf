"""SQLite: SQL text as tokens, to compare and take apart stored statements.

SQLite keeps each table's (index's, trigger's, view's) CREATE statement as
written. Compared token by token, whitespace, identifier quoting style and
keyword case do not matter: two builds that spell the same schema
differently read the same.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(
    r"""
    (?P<space>\s+|--[^\n]*|/\*.*?\*/)
    | (?P<quoted>"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\])
    | (?P<string>'(?:[^']|'')*')
    | (?P<word>[A-Za-z0-9_$.]+)
    | (?P<op>\|\||<=|>=|<>|!=|==|<<|>>|.)
    """,
    re.VERBOSE | re.DOTALL,
)


def tokenize(sql: str) -> list[str]:
    """SQL as tokens, identifiers re-quoted as "x" whatever their quotes."""
    tokens = []
    for match in _TOKEN.finditer(sql):
        kind = match.lastgroup
        text = match.group()
        if kind == "space":
            continue
        if kind == "quoted":
            tokens.append('"' + unquote(text).replace('"', '""') + '"')
        else:
            tokens.append(text)
    return tokens


def unquote(token: str) -> str:
    """An identifier without its quotes ("x", `x` or [x])."""
    if token[:1] == '"':
        return token[1:-1].replace('""', '"')
    if token[:1] == "`":
        return token[1:-1].replace("``", "`")
    if token[:1] == "[":
        return token[1:-1]
    return token


def is_word(token: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z0-9_$.]+", token))


def upper(tokens: list[str]) -> list[str]:
    """Unquoted words upper-cased: keywords (and SQLite identifiers) ignore case."""
    return [token.upper() if is_word(token) else token for token in tokens]


def render(tokens: list[str]) -> str:
    """Tokens back to text, spaced and cased the same way whatever the original."""
    tokens = upper(tokens)
    out = ""
    previous = ""
    for token in tokens:
        if out and not (
            previous == "("
            or token in (")", ",")
            or (token == "(" and is_word(previous) and previous not in ("AND", "OR", "NOT"))
        ):
            out += " "
        out += token
        previous = token
    return out


def group_end(tokens: list[str], start: int) -> int:
    """Index just past the parenthesized group that opens at ``tokens[start]``."""
    depth = 0
    for i in range(start, len(tokens)):
        if tokens[i] == "(":
            depth += 1
        elif tokens[i] == ")":
            depth -= 1
            if depth == 0:
                return i + 1
    return len(tokens)


def split_top_level(tokens: list[str]) -> list[list[str]]:
    """Split at commas outside parentheses."""
    items: list[list[str]] = [[]]
    depth = 0
    for token in tokens:
        if token == "(":
            depth += 1
        elif token == ")":
            depth -= 1
        if token == "," and depth == 0:
            items.append([])
        else:
            items[-1].append(token)
    return [item for item in items if item]
