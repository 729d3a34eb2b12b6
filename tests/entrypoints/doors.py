"""Every door of the running code, found where the code declares it, and the standing table the
docs show (docs/responsible-gambling.md). The door × rule matrix (test_door_rule_matrix.py)
classifies each door found here; a door added anywhere appears here without anyone listing it.

Door names: gRPC `croupier.v1.Service/Method`; HTTP `METHOD /path` (Litestar's path syntax,
`WS` for a websocket); bot `router.handler` (the aiogram Router's name and the handler
function's name); CLI the command words (`bankroll fund`)."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections import Counter
from collections.abc import Iterator

import click
from aiogram import Dispatcher, Router
from litestar import Litestar
from litestar.routes import WebSocketRoute

import croupier.v1
from domain.standing import REFUSED_BY, Operation, Rule

# -- gRPC --------------------------------------------------------------------------------------


def grpc_doors() -> set[str]:
    """Every method of every service in the generated croupier.v1 descriptors (health and
    reflection are grpc's own packages, not ours, so they are not in these modules)."""
    found = set()
    for module in pkgutil.iter_modules(croupier.v1.__path__):
        if not module.name.endswith("_pb2"):
            continue
        generated = importlib.import_module(f"{croupier.v1.__name__}.{module.name}")
        for service in generated.DESCRIPTOR.services_by_name.values():
            found |= {f"{service.full_name}/{method.name}" for method in service.methods}
    return found


# -- HTTP --------------------------------------------------------------------------------------


def http_doors(app: Litestar) -> set[str]:
    """Every (method, path) the app answers, Litestar's automatic OPTIONS answers aside."""
    found = set()
    for route in app.routes:
        if isinstance(route, WebSocketRoute):
            found.add(f"WS {route.path}")
            continue
        for handler in getattr(route, "route_handlers", ()):
            methods = set(getattr(handler, "http_methods", ())) - {"OPTIONS"}
            found |= {f"{method} {route.path}" for method in methods}
    return found


# -- the bot -----------------------------------------------------------------------------------


def _routers(router: Router) -> Iterator[Router]:
    for sub in router.sub_routers:
        yield sub
        yield from _routers(sub)


def bot_doors(dispatcher: Dispatcher) -> set[str]:
    """Every handler of every Router the dispatcher includes (the dispatcher's own update
    listener is aiogram's, not a door)."""
    names = [
        f"{router.name}.{handler.callback.__name__}"
        for router in _routers(dispatcher)
        for observer in router.observers.values()
        for handler in observer.handlers
    ]
    twice = sorted(name for name, n in Counter(names).items() if n > 1)
    assert not twice, f"two handlers share a name in one router, rename one: {twice}"
    return set(names)


# -- the CLI -----------------------------------------------------------------------------------


def cli_doors(group: click.Group, prefix: tuple[str, ...] = ()) -> set[str]:
    found = set()
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found |= cli_doors(command, (*prefix, name))
        else:
            found.add(" ".join((*prefix, name)))
    return found


# -- docs/responsible-gambling.md: "What each standing allows" ---------------------------------

STANDING_DOC = "docs/responsible-gambling.md"
STANDING_SECTION = "What each standing allows"
GOOD_STANDING = "in good standing"


def standing_rows() -> list[list[str]]:
    """The table as cells: a header, then one row per operation; "yes" where the standing
    allows it, "no" where a rule refuses it (domain.standing.REFUSED_BY)."""
    header = ["operation", GOOD_STANDING, *(rule.label for rule in Rule)]
    rows = [
        [op.label, "yes", *("no" if rule in REFUSED_BY[op] else "yes" for rule in Rule)]
        for op in Operation
    ]
    return [header, *rows]


def standing_table() -> str:
    """The Markdown the docs show."""
    header, *rows = standing_rows()
    lines = [header, ["---"] * len(header), *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


def markdown_section_table(markdown: str, heading: str) -> list[list[str]] | None:
    """The cells of the first table under `heading` (any level), the separator row left out;
    None when there is no such heading. Cell padding and column alignment are ignored, so
    a formatter may align the columns."""
    lines = markdown.splitlines()
    pattern = re.compile(rf"^#+\s+{re.escape(heading)}\s*$")
    start = next((i for i, line in enumerate(lines) if pattern.match(line.strip())), None)
    if start is None:
        return None
    rows: list[list[str]] = []
    for line in lines[start + 1 :]:
        stripped = line.strip()
        if stripped.startswith("#"):
            break
        if stripped.startswith("|"):
            cells = [cell.strip() for cell in stripped.strip("|").split("|")]
            if not all(re.fullmatch(r":?-{3,}:?", cell) for cell in cells):
                rows.append(cells)
        elif rows:
            break  # the table ended
    return rows
