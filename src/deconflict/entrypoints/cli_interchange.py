"""`deconflict zones import|export` and `deconflict operations export`: interchange files
(ED-269 JSON, GeoJSON, KML) straight against the database, as the deployment's operator.

Registered in cli.py with one `app.add_typer(...)`: this app holds the `zones` and
`operations` groups.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from deconflict.adapters import interchange
from deconflict.adapters.tokens import LocalTokensUnavailable
from deconflict.bootstrap import Container, bootstrap
from deconflict.config import Settings
from deconflict.domain.errors import DomainError, InvalidInput
from deconflict.domain.model import Caller, Party, Role
from deconflict.services import interchange as exchange
from deconflict.services import registry
from deconflict.services.ports import Page

app = typer.Typer(no_args_is_help=True)
zones_app = typer.Typer(help="Zone files: ED-269 JSON, GeoJSON, KML.", no_args_is_help=True)
operations_app = typer.Typer(help="Operation files: GeoJSON, KML.", no_args_is_help=True)
app.add_typer(zones_app, name="zones")
app.add_typer(operations_app, name="operations")
console = Console(stderr=True)  # stdout carries exported files

#: The caller of the command line: the deployment's operator, acting for one party.
OPERATOR = "cli"


class ZoneFormat(StrEnum):
    ED269 = "ed269"
    GEOJSON = "geojson"
    KML = "kml"


class OperationFormat(StrEnum):
    GEOJSON = "geojson"
    KML = "kml"


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}", soft_wrap=True, highlight=False)
    return typer.Exit(2)


@contextmanager
def _container() -> Iterator[Container]:
    try:
        container = bootstrap(Settings())
    except (ValidationError, ValueError, LocalTokensUnavailable) as e:
        raise _fail(f"configuration error: {e}") from None
    try:
        yield container
    finally:
        container.close()


def find_party(container: Container, party: str) -> Party:
    """A party by id, or else by its exact name."""
    admin = Caller(OPERATOR, OPERATOR, frozenset({Role.ADMIN}))
    found: list[Party] = []
    offset = 0
    while True:
        page = registry.list_parties(container.uow, admin, Page(500, offset))
        found.extend(p for p in page if party in (p.id, p.name))
        if len(page) < 500:
            break
        offset += 500
    if not found:
        raise _fail(f"no party {party!r} (give its id or its name)")
    return found[0]


PartyOption = Annotated[
    str | None,
    typer.Option("--party", envvar="DECONFLICT_PARTY", help="Party id or name"),
]


def _problems(e: InvalidInput) -> None:
    console.print(f"[red]error:[/red] {len(e.problems)} problem(s); nothing was stored")
    for loc, msg in e.problems:
        console.print(f"  {'.'.join(map(str, loc)) or '<file>'}: {msg}", soft_wrap=True)


def _summary(plan: exchange.ImportPlan, source: str) -> None:
    console.print(f"{source}: {plan.format} file, party {plan.party_id}", highlight=False)
    table = Table()
    table.add_column("change")
    table.add_column("zones", justify="right")
    for change, count in plan.counts().items():
        if count:
            table.add_row(change.value, str(count))
    console.print(table)
    shown = [e for e in plan.entries if e.change is not exchange.Change.UNCHANGED]
    if shown:
        title = (
            "What the import would do"
            if plan.dry_run
            else "What the import did"
            if plan.applied
            else "What the import would have done"
        )
        detail = Table(title=title + (" (first 50)" if len(shown) > 50 else ""))
        for column in ("change", "identifier", "name", "kind", "detail"):
            detail.add_column(column, overflow="fold")
        for e in shown[:50]:
            detail.add_row(
                e.change.value, e.source_id, e.name, e.kind.value if e.kind else "-", e.detail
            )
        console.print(detail)


@zones_app.command("import")
def zones_import(
    file: Annotated[Path, typer.Argument(help="ED-269 JSON, GeoJSON or KML (told by content)")],
    party: PartyOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; store nothing")
    ] = False,
    skip_refused: Annotated[
        bool,
        typer.Option(
            "--skip-refused",
            help="Import the rest when some zones cannot be represented (AGL, AMSL...)",
        ),
    ] = False,
) -> None:
    """Import zones into a party: new identifiers are created, known ones updated, all in
    one transaction. Exit 2, with nothing stored, on a bad file or a refused zone."""
    if party is None:
        raise _fail("which party's zones? --party ID (or DECONFLICT_PARTY)")
    try:
        data = file.read_bytes()
    except OSError as e:
        raise _fail(f"cannot read {file}: {e}") from None
    with _container() as container:
        owner = find_party(container, party)
        caller = Caller(OPERATOR, owner.id, frozenset({Role.ADMIN}))
        try:
            with console.status(f"Reading {file.name}..."):
                parsed = interchange.read_zones(data)
            with Progress(
                TextColumn("{task.description:<12}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=False,
            ) as bar:
                tasks: dict[str, TaskID] = {}

                def progress(step: str, done: int, total: int) -> None:
                    if step not in tasks:
                        tasks[step] = bar.add_task(step.capitalize(), total=total)
                    bar.update(tasks[step], completed=done, total=total)

                plan = exchange.import_zones(
                    container.uow,
                    container.ctx,
                    caller,
                    parsed,
                    dry_run=dry_run,
                    skip_refused=skip_refused,
                    progress=progress,
                )
        except exchange.ImportRefused as e:
            _summary(e.plan, file.name)
            _problems(e)
            console.print("Use --skip-refused to import the others.")
            raise typer.Exit(2) from None
        except InvalidInput as e:
            _problems(e)
            raise typer.Exit(2) from None
        except DomainError as e:
            raise _fail(str(e)) from None
    _summary(plan, file.name)
    if dry_run:
        if plan.refused and not skip_refused:
            console.print(
                f"[red]{len(plan.refused)} zone(s) cannot be represented[/red]: the import "
                "would fail (use --skip-refused to import the others)"
            )
            raise typer.Exit(2)
        console.print("Dry run: nothing was stored.")
        return
    console.print(f"[green]Imported[/green] into party {owner.name} ({owner.id}).")


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    output.write_text(text, encoding="utf-8")
    console.print(f"Wrote {output}")


OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to this file [default: stdout]")
]


@zones_app.command("export")
def zones_export(
    fmt: Annotated[ZoneFormat, typer.Option("--format", help="File format")] = ZoneFormat.GEOJSON,
    party: PartyOption = None,
    output: OutputOption = None,
) -> None:
    """Export a party's own zones (every party's, without --party)."""
    with _container() as container:
        try:
            if party is not None:
                owners = [find_party(container, party)]
            else:
                admin = Caller(OPERATOR, OPERATOR, frozenset({Role.ADMIN}))
                owners = registry.list_parties(container.uow, admin, Page(100_000))
            zones = []
            for owner in owners:
                caller = Caller(OPERATOR, owner.id, frozenset({Role.OBSERVER}))
                zones.extend(exchange.export_zones(container.uow, caller).zones)
        except DomainError as e:
            raise _fail(str(e)) from None
    title = f"deconflict zones of {owners[0].name}" if party else "deconflict zones"
    _write(interchange.write_zones(fmt.value, zones, title), output)


@operations_app.command("export")
def operations_export(
    fmt: Annotated[
        OperationFormat, typer.Option("--format", help="File format")
    ] = OperationFormat.GEOJSON,
    party: PartyOption = None,
    output: OutputOption = None,
) -> None:
    """Export a party's operations: each volume of each operation's current version
    (GeoJSON readable by `deconflict check`)."""
    if party is None:
        raise _fail("whose operations? --party ID (or DECONFLICT_PARTY)")
    with _container() as container:
        owner = find_party(container, party)
        caller = Caller(OPERATOR, owner.id, frozenset({Role.OBSERVER}))
        try:
            operations = exchange.export_operations(container.uow, caller)
        except DomainError as e:
            raise _fail(str(e)) from None
    title = f"deconflict operations of {owner.name}"
    _write(interchange.write_operations(fmt.value, operations, title), output)
