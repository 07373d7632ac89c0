"""The `deconflict` command line (Typer + Rich)."""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
import time as time_module
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import httpx
import typer
import uvicorn
from pydantic import BaseModel, TypeAdapter, ValidationError
from rich import box
from rich.console import Console
from rich.padding import Padding
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from deconflict.adapters.migrate import revision_of, upgrade
from deconflict.adapters.sql import make_engine
from deconflict.adapters.tokens import LocalTokensUnavailable
from deconflict.bootstrap import Container, bootstrap
from deconflict.config import Settings
from deconflict.domain.errors import DomainError, InvalidInput
from deconflict.domain.model import Caller, Role, role_name
from deconflict.domain.volumes import Volume4D
from deconflict.services import audit as audit_log
from deconflict.services import batch, registry
from deconflict.services import demo as demo_scenario
from deconflict.services import operations as ops
from deconflict.services.reviews import process_deadlines

from . import cli_interchange
from .api import converters, schemas
from .api.app import create_app
from .worker import Dispatcher

app = typer.Typer(
    help="deconflict: pre-flight 4D coordination between airspace parties.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console()
errors = Console(stderr=True)


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as e:
        errors.print(f"[red]configuration error:[/red] {e}")
        raise typer.Exit(2) from None


@contextmanager
def _container() -> Iterator[Container]:
    try:
        container = bootstrap(_settings())
    except (ValueError, LocalTokensUnavailable) as e:  # bad keys or settings: say so plainly
        errors.print(f"[red]configuration error:[/red] {e}", soft_wrap=True)
        raise typer.Exit(2) from None
    try:
        yield container
    finally:
        container.close()


def _parse_roles(value: str) -> list[str]:
    try:
        return [role_name(r.strip()) for r in value.split(",") if r.strip()]
    except InvalidInput as e:
        base = ", ".join(r.value for r in Role)
        raise typer.BadParameter(
            f"{e.problems[0][1]} (base roles: {base}; or a stage role)"
        ) from None


def _serve(container: Container, host: str, port: int) -> None:
    uvicorn.run(create_app(container=container), host=host, port=port, log_level="info")


Host = Annotated[str | None, typer.Option(help="Interface to listen on [default: DECONFLICT_HOST]")]
Port = Annotated[int | None, typer.Option(help="Port [default: DECONFLICT_PORT]")]


@app.command()
def serve(
    host: Host = None,
    port: Port = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="API processes on the port [default: DECONFLICT_WORKERS]"),
    ] = None,
) -> None:
    """Run the API server (migrating the database first), in one or several processes."""
    with _container() as container:
        s = container.settings
        processes = workers or s.workers
        console.print(
            f"deconflict on http://{host or s.host}:{port or s.port}  (API docs at /docs)"
            + (f", {processes} processes" if processes > 1 else "")
        )
        if processes == 1:
            _serve(container, host or s.host, port or s.port)
            return
    # Each process builds its own container from the same DECONFLICT_* environment; the
    # schema is already migrated, the background work is leased to one of them, and the
    # rate limit's budget is shared (DECONFLICT_WORKERS tells them they are several).
    os.environ["DECONFLICT_WORKERS"] = str(processes)
    uvicorn.run(
        "deconflict.entrypoints.api.app:create_app",
        factory=True,
        host=host or s.host,
        port=port or s.port,
        workers=processes,
        log_level="info",
    )


#: The files SQLite keeps beside a database.
_SQLITE_SIDES = ("-journal", "-wal", "-shm")


def _reset_embedded_database(settings: Settings) -> None:
    """Deletes the embedded SQLite database (its signing key stays); refuses any other
    database, which is the operator's to drop."""
    if settings.database_url is not None:
        errors.print(
            "[red]error:[/red] --reset deletes only the embedded demo database, and "
            "DECONFLICT_DATABASE_URL points at another one: drop that database yourself",
            soft_wrap=True,
        )
        raise typer.Exit(2)
    database = settings.embedded_database_file
    for path in (database, *(database.with_name(database.name + s) for s in _SQLITE_SIDES)):
        path.unlink(missing_ok=True)
    console.print(f"Deleted the demo database {database}.", soft_wrap=True)


@app.command()
def demo(
    host: Host = None,
    port: Port = None,
    serve_api: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Start the server afterwards")
    ] = True,
    reset: Annotated[
        bool,
        typer.Option(
            "--reset", help="Delete the embedded demo database and load the scenario for today"
        ),
    ] = False,
) -> None:
    """Load the fictional demo scenario (once), print tokens for its parties, and serve."""
    if reset:
        _reset_embedded_database(_settings())
    with _container() as container:
        s = container.settings
        parties = demo_scenario.find_demo(container.uow)
        if parties is None:
            tomorrow = datetime.combine(datetime.now(UTC).date() + timedelta(days=1), time(6), UTC)
            with console.status("Loading the Isle of Veloria scenario..."):
                parties = demo_scenario.load_demo(container.uow, container.ctx, tomorrow)
            console.print(
                "[green]Demo scenario loaded[/green]: 4 parties (one an authority), "
                "2 agreements, 5 zones, 16 operations, a subscription per party"
            )
        else:
            console.print(
                f"Demo scenario already loaded on {parties.operator.created_at:%Y-%m-%d}; "
                "reusing it (`deconflict demo --reset` loads it afresh for today).",
                soft_wrap=True,
            )
        url = f"http://{host or s.host}:{port or s.port}"
        console.print(
            f"deconflict demo at [bold]{url}[/bold]  (web UI: {url}/, paste a token below; "
            f"API docs: {url}/docs)",
            soft_wrap=True,
        )
        console.print("Bearer tokens (valid 7 days), ready to paste into a shell:")
        for person in demo_scenario.demo_people(parties):
            who = person.caller
            token = container.issuer.mint(who.party_id, who.roles, 7 * 86400, who.subject)
            console.print(f"# {person.label} (party {who.party_id})", soft_wrap=True)
            console.print(f"export {person.variable}={token}", soft_wrap=True, highlight=False)
        console.print(
            f'Try: curl -H "Authorization: Bearer $NORTHWIND_TOKEN" {url}/v1/operations',
            soft_wrap=True,
        )
        console.print(
            f"  or: deconflict reviews --url {url} --token $VELORIA_TOKEN "
            f"(then: deconflict decide <case> approve ...; deconflict watch ...)",
            soft_wrap=True,
        )
        if serve_api:
            _serve(container, host or s.host, port or s.port)


@app.command()
def token(
    party: Annotated[str, typer.Option(help="Party id the token acts for")],
    roles: Annotated[
        str,
        typer.Option(help="Comma-separated: operator (registers parties) or admin,submitter,..."),
    ] = "submitter",
    ttl: Annotated[int, typer.Option(min=1, help="Lifetime in seconds")] = 3600,
    subject: Annotated[str | None, typer.Option(help="Subject (who); default: generated")] = None,
) -> None:
    """Mint a bearer token with the local development key."""
    parsed = _parse_roles(roles)
    if not parsed:
        raise typer.BadParameter("at least one role is needed", param_hint="--roles")
    with _container() as container:
        try:
            minted = container.issuer.mint(party, parsed, ttl, subject)
            grant = (party, tuple(sorted(parsed)), ttl, subject)
            audit_log.record_system(
                container.uow,
                container.ctx,
                "token.minted",
                grant,
                party,
                object_type="token",
                parties=[party],
            )
            typer.echo(minted)
        except LocalTokensUnavailable as e:
            errors.print(f"[red]error:[/red] {e}", soft_wrap=True)
            raise typer.Exit(2) from None


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration."""
    s = _settings()
    if s.effective_database_url.startswith("sqlite"):
        s.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(s.effective_database_url)
    try:
        upgrade(engine)
        console.print(f"database at revision {revision_of(engine)}")
    finally:
        engine.dispose()


def _load_features(path: Path) -> list[dict[str, Any]]:
    try:
        doc = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError) as e:
        raise InvalidInput.at((str(path),), f"cannot read: {e}") from None
    except json.JSONDecodeError as e:
        raise InvalidInput.at((str(path),), f"not JSON: {e}") from None
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        return [doc]
    if not (isinstance(doc, dict) and doc.get("type") == "FeatureCollection"):
        raise InvalidInput.at((str(path),), "expected a GeoJSON FeatureCollection or Feature")
    features = doc.get("features")
    if not isinstance(features, list):
        raise InvalidInput.at((str(path), "features"), "must be a list")
    return features


ApiUrl = Annotated[
    str, typer.Option("--url", envvar="DECONFLICT_URL", help="Base URL of the deconflict API")
]
ApiToken = Annotated[
    str,
    typer.Option("--token", envvar="DECONFLICT_TOKEN", help="Bearer token (deconflict token ...)"),
]


@app.command()
def check(
    file: Annotated[Path, typer.Argument(help="GeoJSON FeatureCollection of volumes")],
    party: Annotated[
        str | None,
        typer.Option(help="Party (id or name) the check is made for, in the local database"),
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(help="Check against a running server instead (with --token)"),
    ] = None,
    token: ApiToken = "",
) -> None:
    """Check a file of operations; exit 1 if any conflicts, 2 on a bad file or party.

    Against the local database for `--party`, or a running server (`--url`, `--token`
    or DECONFLICT_TOKEN: the token's party). Each Feature is one volume (Polygon, or
    Point with properties.radius_m) with properties altitude_lower_m, altitude_upper_m,
    time_start, time_end; features that share properties.operation form one operation,
    others stand alone. What another party does not disclose is not shown.

    With --party, a file of several operations is checked as one batch (progress and
    a summary of rate and peak memory on stderr); operations with bad volumes are
    listed there and the others still checked (exit 2).
    """
    if (party is None) == (url is None):
        errors.print(
            "[red]error:[/red] give --party (the local database) or --url with --token "
            "(a running server; the token names the party), not both",
            soft_wrap=True,
        )
        raise typer.Exit(2)
    started = time_module.perf_counter()
    try:
        with _progress() as progress:
            progress.add_task(f"Reading {file.name}", total=None)
            grouped = _operations_in(file)
        operations = len(grouped)
        results: list[tuple[str, dict[str, Any]]] = []
        rejected: list[tuple[str, InvalidInput]] = []
        if url is not None:
            for name, group in grouped.items():
                body = {"volumes": [f.model_dump(mode="json") for f in group]}
                results.append((name, _call("POST", url, token, "/v1/checks", body, exit_code=2)))
            zone_names = {
                i: named
                for i in _zone_ids(results)
                if (named := _call("GET", url, token, f"/v1/zones/{i}", exit_code=2)["name"])
            }
        else:
            assert party is not None
            with _container() as container:
                owner = cli_interchange.find_party(container, party)
                caller = Caller("cli", owner.id, frozenset({Role.OBSERVER}))
                if operations > 1:
                    results, rejected = _check_batch(container, caller, grouped)
                else:
                    for name, group in grouped.items():
                        volumes = converters.volumes_from_api(group, container.ctx)
                        assessment = ops.check_volumes(
                            container.uow, container.ctx, caller, volumes
                        )
                        checked = converters.check_to_api(assessment)
                        results.append((name, checked.model_dump(mode="json", by_alias=True)))
                zone_names = {
                    i: named
                    for i in _zone_ids(results)
                    if (
                        named := converters.zone_to_api(
                            registry.get_zone(container.uow, caller, i), caller.party_id
                        ).name
                    )
                }
    except DomainError as e:
        errors.print(f"[red]error:[/red] {e}", soft_wrap=True)
        raise typer.Exit(2) from None
    conflicts = _print_checks(file, results, zone_names)
    if url is None and operations > 1:
        _print_batch_summary(operations, rejected, time_module.perf_counter() - started)
    if rejected:
        raise typer.Exit(2)
    if conflicts:
        raise typer.Exit(1)


def _progress() -> Progress:
    """A progress display on stderr, on a terminal only (where it is gone when done):
    into a pipe or a file it would write blank lines."""
    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(bar_width=20),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
        disable=not errors.is_terminal,
    )


#: What each stage of `services.batch.check_many` is called on the progress display.
_BATCH_STAGES = {
    "validating": "Validating plans",
    "loading": "Loading the airspace",
    "checking": "Checking plans",
}


def _check_batch(
    container: Container, caller: Caller, grouped: dict[str, list[schemas.GeoJSONFeature]]
) -> tuple[list[tuple[str, dict[str, Any]]], list[tuple[str, InvalidInput]]]:
    """Every operation of the file checked at once (`services.batch.check_many`): the
    answers of those that could be checked, in file order, and the problems of those
    that could not (bad volumes), each as a single check would have raised them.
    Empties `grouped` as it goes."""
    names = list(grouped)
    plans: list[tuple[Volume4D, ...]] = []
    checkable: list[int] = []
    problems: dict[int, InvalidInput] = {}
    with _progress() as progress:
        converting = progress.add_task("Converting volumes", total=len(names))
        for i, name in enumerate(names):
            try:  # each operation's features let go of once converted: they weigh more
                features = grouped.pop(name)
                plans.append(converters.volumes_from_api(features, container.ctx, at=("volumes",)))
                checkable.append(i)
            except InvalidInput as e:
                problems[i] = e
            if i % batch.PROGRESS_STEP == 0:
                progress.update(converting, completed=i)
        progress.update(converting, completed=len(names))
        tasks: dict[str, TaskID] = {}

        def advance(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(_BATCH_STAGES.get(stage, stage), total=total)
            progress.update(tasks[stage], completed=done, total=total)

        answers = batch.check_many(container.uow, container.ctx, caller, plans, advance)
    for i, answer in zip(checkable, answers, strict=True):
        if isinstance(answer, InvalidInput):
            problems[i] = answer
    checked = dict(zip(checkable, answers, strict=True))
    results: list[tuple[str, dict[str, Any]]] = []
    rejected: list[tuple[str, InvalidInput]] = []
    for i, name in enumerate(names):
        if i in problems:
            rejected.append((name, problems[i]))
            continue
        answer = checked[i]
        assert not isinstance(answer, InvalidInput)
        api = converters.check_to_api(answer)
        results.append((name, api.model_dump(mode="json", by_alias=True)))
    return results, rejected


def _peak_memory_mb() -> float:
    """The peak resident memory of this process so far, in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1e6 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, else KiB


def _print_batch_summary(
    count: int, rejected: list[tuple[str, InvalidInput]], elapsed_s: float
) -> None:
    """On stderr: the operations that could not be checked and why, then the rate and
    the peak memory of the batch."""
    if rejected:
        errors.print(
            f"[red]error:[/red] {len(rejected)} operation(s) not checked (bad volumes):",
            soft_wrap=True,
        )
        for name, problem in rejected:
            errors.print(Padding(Text(f"{name}: {problem}"), (0, 0, 0, 2)))
    errors.print(
        f"{count:,} operation(s) in {elapsed_s:.1f} s ({count / max(elapsed_s, 1e-9):,.0f}/s); "
        f"peak memory {_peak_memory_mb():,.0f} MB",
        highlight=False,
    )


class _FeatureCollection(BaseModel):
    type: Literal["FeatureCollection"]
    features: list[schemas.GeoJSONFeature]


_FEATURE_COLLECTION = TypeAdapter(_FeatureCollection)


def _operations_in(file: Path) -> dict[str, list[schemas.GeoJSONFeature]]:
    """The features of a GeoJSON file, grouped into operations (InvalidInput if bad).

    A valid FeatureCollection is parsed and validated in one pass (pydantic's JSON
    parser: five times faster than json.loads and a model per feature); anything else
    is read again feature by feature, for the same messages as always."""
    grouped: dict[str, list[schemas.GeoJSONFeature]] = defaultdict(list)
    try:
        collection = _FEATURE_COLLECTION.validate_json(file.read_bytes())
    except (OSError, ValidationError):
        pass
    else:
        for i, feature in enumerate(collection.features):
            properties = feature.properties.model_extra or {}
            name = properties.get("operation") or (feature.model_extra or {}).get("id")
            grouped[str(name or f"feature {i}")].append(feature)
        return grouped
    for i, raw in enumerate(_load_features(file)):
        try:
            feature = schemas.GeoJSONFeature.model_validate(raw)
        except ValidationError as e:
            first = e.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise InvalidInput.at(("features", i), f"{where}: {first['msg']}") from None
        name = raw.get("properties", {}).get("operation") or raw.get("id") or f"feature {i}"
        grouped[str(name)].append(feature)
    return grouped


def _print_checks(
    file: Path, results: list[tuple[str, dict[str, Any]]], zone_names: dict[str, str]
) -> int:
    """The conflicts of each checked operation (as `POST /v1/checks` answers), zones by
    name where the caller may know it; how many conflicts there are."""
    table = Table(
        title=f"Conflicts for {len(results)} operation(s) in {file}",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        padding=0,
    )
    table.add_column("operation", ratio=1, min_width=9)
    table.add_column("vol", no_wrap=True, justify="right")
    table.add_column("kind", min_width=10)
    table.add_column("with", ratio=1, min_width=9)
    table.add_column("time window (UTC)", no_wrap=True)
    table.add_column("altitude (m)", no_wrap=True)
    total = 0
    for name, checked in results:
        for c in checked["conflicts"]:
            total += 1
            start = datetime.fromisoformat(c["time_start"])
            end = datetime.fromisoformat(c["time_end"])
            table.add_row(
                name,
                str(c["volume_index"]),
                _readable(c["kind"]),
                _conflict_with(c["with"], zone_names),
                f"{start:%m-%d %H:%M}-{end:%H:%M}",
                f"{c['altitude_lower_m']:.0f}-{c['altitude_upper_m']:.0f} {c['altitude_reference']}",
            )
    if total:
        console.print(table)
        refused = sum(1 for _, checked in results if checked["refused"])
        reviews = sorted({r["party_id"] for _, x in results for r in x["required_reviews"]})
        if reviews:
            console.print(f"Review required by: {', '.join(reviews)}", soft_wrap=True)
        console.print(f"[red]{total} conflict(s)[/red]; {refused} operation(s) would be refused")
        return total
    console.print(f"[green]No conflicts[/green] for {len(results)} operation(s).")
    return 0


def _zone_ids(results: list[tuple[str, dict[str, Any]]]) -> set[str]:
    return {
        c["with"]["id"]
        for _, checked in results
        for c in checked["conflicts"]
        if c["with"]["type"] == "zone" and c["with"]["id"] is not None
    }


def _conflict_with(other: dict[str, Any], zone_names: dict[str, str]) -> str:
    """What a conflict is with, as a person reads it: a zone's name where the caller may
    know it, else what the answer discloses."""
    if other["type"] == "zone" and other["id"] in zone_names:
        return f"zone {zone_names[other['id']]}"
    who = "" if other["party_id"] is None else f" of {other['party_id']}"
    return f"{other['type']} {other['id'] or '(not disclosed)'}{who}"


# ---- API clients: the review commands talk to a running server over HTTP -------------


def _call(
    method: str,
    url: str,
    token: str,
    path: str,
    body: dict[str, Any] | None = None,
    *,
    exit_code: int = 1,
) -> Any:
    """One API call; an error response (exit `exit_code`) or an unreachable server (exit
    2) exits with its message."""
    if not token:
        errors.print("[red]error:[/red] a bearer token is needed: --token or DECONFLICT_TOKEN")
        raise typer.Exit(2)
    try:
        response = httpx.request(
            method,
            f"{url.rstrip('/')}{path}",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
    except httpx.HTTPError as e:
        errors.print(f"[red]error:[/red] cannot reach {url}: {e}", soft_wrap=True)
        raise typer.Exit(2) from None
    if response.status_code >= 400:
        try:
            payload = response.json()
            detail = payload.get("detail", response.text)
            where = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in payload.get("errors", [])
            )
        except ValueError:
            detail, where = response.text, ""
        errors.print(
            f"[red]error {response.status_code}:[/red] {detail}" + (f" ({where})" if where else ""),
            soft_wrap=True,
        )
        raise typer.Exit(exit_code)
    return response.json()


#: The length of the case ids `deconflict reviews` shows; `decide` takes any unique prefix.
SHORT_ID = 8


def _readable(value: str) -> str:
    """A state or role id as words ("command_review" -> "command review")."""
    return value.replace("_", " ")


def _short_time(value: str | None) -> str:
    """An API timestamp as "MM-DD HH:MM" (UTC): enough to tell a deadline at 80 columns."""
    if value is None:
        return "-"
    return f"{datetime.fromisoformat(value).astimezone(UTC):%m-%d %H:%M}"


@app.command("reviews")
def reviews_queue(
    url: ApiUrl = "http://127.0.0.1:8000",
    token: ApiToken = "",
    all_cases: Annotated[
        bool, typer.Option("--all", help="Every case of the party, not only the queue")
    ] = False,
) -> None:
    """List the review cases waiting for you (or all your party's cases with --all)."""
    cases = _call("GET", url, token, f"/v1/reviews?scope={'all' if all_cases else 'queue'}")
    if not cases:
        console.print("No review cases waiting." if not all_cases else "No review cases.")
        return
    table = Table(
        title="Review cases" if all_cases else "Your review queue",
        caption=f"case: the first {SHORT_ID} characters of its id, enough for `decide`; "
        "status: the stage an open case is at, or how it closed",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        padding=0,
    )
    # Ids, numbers and times never wrap (a wrapped id cannot be copied); words do, and no
    # column is narrower than its header's longest word.
    table.add_column("case", no_wrap=True)
    table.add_column("operation", ratio=1, min_width=9)
    table.add_column("v", no_wrap=True, justify="right")
    table.add_column("status", min_width=12)
    table.add_column("waiting on", min_width=10)
    table.add_column("due (UTC)", no_wrap=True)
    table.add_column("conflicts", no_wrap=True, justify="right")
    for case in cases:
        stage = case["current_stage"]
        table.add_row(
            case["id"][:SHORT_ID],
            case["operation_name"],
            str(case["version"]),
            _with_conditions(case) if stage is None else case["stages"][stage]["name"],
            ", ".join(map(_readable, case["waiting_roles"])) or "-",
            _short_time(case["due_at"]),
            str(len(case["conflicts"])),
        )
    console.print(table)


def _case_id(url: str, token: str, prefix: str) -> str:
    """The id of the caller's party's review case that starts with `prefix`.

    A prefix that starts no case is passed on as it is (the server answers 404 for an
    unknown id); one that starts several exits 2 naming them."""
    matches: list[str] = []
    offset = 0
    while True:
        page = _call("GET", url, token, f"/v1/reviews?scope=all&limit=100&offset={offset}")
        matches += [case["id"] for case in page if case["id"].startswith(prefix)]
        if prefix in matches or len(page) < 100:
            break
        offset += len(page)
    if prefix in matches or not matches:
        return prefix
    if len(matches) == 1:
        return matches[0]
    shown = ", ".join(sorted(matches)[:5]) + (", ..." if len(matches) > 5 else "")
    errors.print(
        f"[red]error:[/red] '{prefix}' is ambiguous: it starts {len(matches)} review cases "
        f"({shown}); give more of the id",
    )
    raise typer.Exit(2)


@app.command()
def decide(
    case_id: Annotated[
        str, typer.Argument(help="Review case id, or any unique prefix (see: deconflict reviews)")
    ],
    decision: Annotated[
        str,
        typer.Argument(help="approve | approve_with_conditions | request_modification | reject"),
    ],
    comment: Annotated[
        str, typer.Option(help="To the submitter; the reason for a rejection or modification")
    ] = "",
    note: Annotated[str, typer.Option("--internal-note", help="Seen only inside your party")] = "",
    condition: Annotated[
        str | None, typer.Option(help="Condition text (approve_with_conditions)")
    ] = None,
    suggestion: Annotated[
        str | None, typer.Option(help="Suggestion id to propose (request_modification)")
    ] = None,
    url: ApiUrl = "http://127.0.0.1:8000",
    token: ApiToken = "",
) -> None:
    """Decide on a review case in its current stage."""
    body: dict[str, Any] = {"decision": decision, "comment": comment, "internal_note": note}
    if condition is not None:
        body["conditions"] = {"text": condition}
    if suggestion is not None:
        body["proposal"] = {"suggestion_id": suggestion}
    case_id = _case_id(url, token, case_id)
    case = _call("POST", url, token, f"/v1/reviews/{case_id}/decisions", body)
    stage = case["current_stage"]
    where = "closed" if stage is None else f"now at stage '{case['stages'][stage]['name']}'"
    console.print(
        f"Recorded. Case {case['id']} is [bold]{_with_conditions(case)}[/bold], {where}.",
        soft_wrap=True,
    )


def _with_conditions(case: dict[str, Any]) -> str:
    """A case's state with the conditions its approvals set, so they cannot be missed."""
    texts = [d["conditions"]["text"] for d in case["decisions"] if d["conditions"]]
    state = _readable(str(case["state"]))
    return state + (f" with conditions: {'; '.join(texts)}" if texts else "")


@app.command()
def worker(
    once: Annotated[bool, typer.Option(help="Deliver what is due now, then exit")] = False,
) -> None:
    """Deliver webhooks from the outbox (and act on review deadlines) until stopped.

    Run one or more beside API processes started with DECONFLICT_DISPATCH_IN_PROCESS=false;
    leases keep two workers from sending one delivery at once."""
    with _container() as container:
        dispatcher = Dispatcher(container)
        if once:
            sent = dispatcher.run_once()
            process_deadlines(container.uow, container.ctx)
            dispatcher.stop()
            console.print(f"{sent} deliveries attempted")
            return
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: dispatcher.stop_soon())
        console.print(f"worker {dispatcher.owner} delivering webhooks; Ctrl-C to stop")
        dispatcher.run(on_idle=lambda: process_deadlines(container.uow, container.ctx))
        dispatcher.stop()


@app.command()
def watch(
    url: ApiUrl = "http://127.0.0.1:8000",
    token: ApiToken = "",
    cursor: Annotated[str | None, typer.Option(help="Resume after this event id (cursor)")] = None,
    max_events: Annotated[
        int | None, typer.Option(min=1, help="Exit after this many events")
    ] = None,
) -> None:
    """Print the caller's events live (server-sent events from /v1/events)."""
    if not token:
        errors.print("[red]error:[/red] a bearer token is needed: --token or DECONFLICT_TOKEN")
        raise typer.Exit(2)
    if not _call("GET", url, token, "/v1/subscriptions"):
        errors.print(
            "nothing to watch: your party has no subscription, and events come only from "
            "subscriptions. Create one for an area and a time window: POST /v1/subscriptions "
            "(see the README, Notices, subscriptions and events).",
        )
        raise typer.Exit(1)
    headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
    if cursor:
        headers["Last-Event-ID"] = cursor
    seen = 0
    try:
        with httpx.stream(
            "GET",
            f"{url.rstrip('/')}/v1/events",
            headers=headers,
            # The server sends a keep-alive comment every 15 s: a minute of silence is a dead link.
            timeout=httpx.Timeout(10.0, read=60.0),
        ) as response:
            if response.status_code >= 400:
                response.read()
                errors.print(
                    f"[red]error {response.status_code}:[/red] {response.text}", soft_wrap=True
                )
                raise typer.Exit(1)
            fields: dict[str, str] = {}
            for line in response.iter_lines():
                if line:
                    name, _, value = line.partition(":")
                    fields[name] = value.removeprefix(" ")
                    continue
                if "data" in fields:
                    event = json.loads(fields["data"])
                    console.print(
                        f"{event['created_at']}  [bold]{event['type']}[/bold]  "
                        f"#{event['sequence']}  {json.dumps(event['payload'], sort_keys=True)}",
                        soft_wrap=True,
                        highlight=False,
                    )
                    console.print(f"  cursor {fields.get('id', '')}", style="dim", soft_wrap=True)
                    seen += 1
                    if max_events is not None and seen >= max_events:
                        return
                fields = {}
    except httpx.HTTPError as e:
        errors.print(f"[red]error:[/red] cannot reach {url}: {e}", soft_wrap=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        return


audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
app.add_typer(cli_interchange.app)  # zones import|export, operations export


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute every audit chain and the anchors across them; exit 1 and name the first
    edited, mislinked or missing event if any."""
    with _container() as container, console.status("Verifying the audit chains..."):
        report = audit_log.verify_chain(container.uow)
    if report.broken is not None:
        errors.print(
            f"[red]audit log broken at {report.broken.where}:[/red] {report.broken.reason}",
            soft_wrap=True,
        )
        raise typer.Exit(1)
    console.print(
        f"[green]audit log intact[/green]: {report.events} events, {report.anchors} anchors"
        + (f", {report.unanchored} written since the last anchor" if report.unanchored else ""),
        soft_wrap=True,
    )


@audit_app.command("anchor")
def audit_anchor() -> None:
    """Anchor the chains that advanced since the last anchor now (the server does it
    every DECONFLICT_AUDIT_ANCHOR_INTERVAL_S), and print the anchor's hash: kept outside
    the database, it proves later that nothing before it was rewritten."""
    with _container() as container:
        made = audit_log.anchor(container.uow, container.ctx)
    if made is None:
        console.print("Nothing to anchor: every chain is anchored.")
        return
    console.print(f"anchor {made.seq} over {len(made.heads)} chains: {made.hash}", soft_wrap=True)


def main() -> None:
    app()
