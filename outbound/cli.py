"""``centralino campaigns``: create a campaign from its file, import its lists, start, pause,
resume and stop it, watch it live, mark a contact done, read its status and results.

Exit codes (the CLI's conventions): 0 done; 1 refused (no such campaign or contact, a move
its state does not allow, a script with errors); 2 a bad file or list (every problem on its
own line: the campaign file's with file and line, a list's as ``line N, column C: ...``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from sqlalchemy.ext.asyncio import AsyncSession

from centralino.core.cli_support import (
    ConfigOption,
    JsonOption,
    database_sessions,
    err_console,
    fail,
    json_ready,
    os_user,
    print_record,
    print_rows,
    report_problems,
    run_on_database,
    run_with_session,
    settings_or_exit,
)
from centralino.core.dialing import e164_number
from config.loader import ConfigError
from ivr.locations import sounds_location
from outbound import progress, store
from outbound.campaigns import (
    ACTIONS,
    ScriptResolver,
    ScriptsRefused,
    campaign_json,
    change_campaign,
    create_campaign,
    import_list,
    read_campaign_file,
    script_resolver,
)
from outbound.exports import COLUMNS, flat_row, write_csv, write_xlsx
from outbound.lists import REGION, ListRefused
from outbound.terms import CampaignState

app = typer.Typer(no_args_is_help=True)
ENDED = (CampaignState.FINISHED.value, CampaignState.STOPPED.value)
LIST_COLUMNS = ("id", "name", "state", "contacts", "dialled", "answered", "completed",
                "remaining", "estimated_end")
T = TypeVar("T")

CampaignId = Annotated[int, typer.Argument(min=1, help="The campaign's id (campaigns list).")]
ExistingFile = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]


@app.callback()
def _group() -> None:
    """Outbound campaigns: their files, lists, state, progress and results."""


def now() -> datetime:
    return datetime.now(UTC)


def _on_database(config: Path | None,
                 work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` on a session of the configured database; a missing campaign or contact
    and a refused move end the command with exit code 1."""
    try:
        return run_with_session(config, work)
    except (store.CampaignNotFound, store.ContactNotFound, store.CampaignStateError) as exc:
        raise fail(str(exc).strip("'\"")) from None


def _resolver(config: Path | None) -> ScriptResolver:
    """Scripts checked with their sounds, where Asterisk's sounds are known."""
    return script_resolver(sounds_location(settings_or_exit(config)))


def _echo_json(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, default=str))


@app.command("check")
def check_command(file: ExistingFile, config: ConfigOption = None) -> None:
    """Check a campaign file and its scripts (their sounds too), without storing anything."""
    try:
        draft = read_campaign_file(file, _resolver(config))
    except ConfigError as exc:
        report_problems(exc.problems)
        raise typer.Exit(2) from None
    typer.echo(f"campaign OK: {draft.file.name}, scripts {', '.join(draft.scripts)}")


@app.command("create")
def create_command(file: ExistingFile, as_json: JsonOption = False,
                   by: Annotated[str | None, typer.Option(help="Who creates it (default: "
                                                                "you).")] = None,
                   config: ConfigOption = None) -> None:
    """Create a campaign (a draft) from its YAML file; prints its id."""
    try:
        draft = read_campaign_file(file, _resolver(config))
    except ConfigError as exc:
        report_problems(exc.problems)
        raise typer.Exit(2) from None
    campaign = _on_database(config, lambda session: create_campaign(
        session, draft, now=now(), created_by=by or os_user()))
    if as_json:
        _echo_json(campaign_json(campaign))
    else:
        typer.echo(f"campaign {campaign.id} created: {campaign.name} ({campaign.state}); "
                   f"import its list, then start it")


@app.command("import")
def import_command(campaign_id: CampaignId, file: ExistingFile, as_json: JsonOption = False,
                   expire_days: Annotated[int | None, typer.Option(
                       min=1, max=365, help="These contacts expire this many days from now "
                                            "(default: the campaign's expire_days).")] = None,
                   config: ConfigOption = None) -> None:
    """Add the contacts of a CSV or XLSX list, to a draft or a running campaign (all or
    nothing; numbers already in the campaign are merged)."""
    try:
        counts = _on_database(config, lambda session: import_list(
            session, campaign_id, file, now=now(), expire_days=expire_days))
    except ScriptsRefused as exc:
        report_problems(exc.problems)
        raise fail(f"campaign {campaign_id} takes no list: its scripts have errors") from None
    except ListRefused as exc:
        for problem in exc.problems:
            err_console.print(escape(str(problem)), highlight=False, soft_wrap=True)
        if as_json:
            _echo_json({"imported": 0, "merged": 0,
                        "errors": [str(problem) for problem in exc.problems]})
        raise typer.Exit(2) from None
    if as_json:
        _echo_json({"imported": counts.imported, "merged": counts.merged, "errors": []})
    else:
        typer.echo(f"{counts.imported} contacts imported, {counts.merged} merged")


def _action_command(action: str) -> None:
    def command(campaign_id: CampaignId, config: ConfigOption = None) -> None:
        try:
            campaign = _on_database(config, lambda session: change_campaign(
                session, campaign_id, action, now=now(), resolver=_resolver(config)))
        except ScriptsRefused as exc:
            report_problems(exc.problems)
            raise fail(f"campaign {campaign_id} not {action}ed: its scripts have errors") \
                from None
        typer.echo(f"campaign {campaign.id}: {campaign.state}")

    command.__doc__ = {"start": "Start a draft campaign (its scripts are checked first).",
                       "pause": "Pause a running campaign: calls in flight finish.",
                       "resume": "Resume a paused campaign (its scripts are checked first).",
                       "stop": "Stop a campaign for good."}[action]
    app.command(action)(command)


for _action in ACTIONS:
    _action_command(_action)


@app.command("list")
def list_command(as_json: JsonOption = False, config: ConfigOption = None) -> None:
    """Every campaign with its progress, newest first."""
    async def rows(session: AsyncSession) -> list[dict[str, Any]]:
        return await progress.campaigns_status(session, await store.list_campaigns(session),
                                               now())

    print_rows(_on_database(config, rows), LIST_COLUMNS, as_json, title="Campaigns")


@app.command("status")
def status_command(campaign_id: CampaignId, as_json: JsonOption = False,
                   config: ConfigOption = None) -> None:
    """The campaign's progress: contacts, attempts, answered, outcomes, estimated end."""
    status = _on_database(config, lambda session: progress.campaign_status(
        session, campaign_id, now()))
    if as_json:
        _echo_json(json_ready(status))
    else:
        print_record(status, f"Campaign {campaign_id}")


@app.command("mark")
def mark_command(campaign_id: CampaignId, phone: Annotated[str, typer.Argument()],
                 outcome: Annotated[str, typer.Option(help="e.g. paid", min=1)],
                 config: ConfigOption = None) -> None:
    """Mark a contact done with an outcome (paid): it is not called again."""
    number = e164_number(phone, REGION)
    if number is None:
        raise fail(f"not a phone number: {phone!r}", 2)
    if not 0 < len(outcome) <= 32:
        raise fail("the outcome has 1 to 32 characters", 2)
    contact = _on_database(config, lambda session: store.mark_contact(
        session, campaign_id, number, outcome, now=now()))
    typer.echo(f"{contact.phone}: {contact.status} ({contact.outcome})")


@app.command("results")
def results_command(
    campaign_id: CampaignId, as_json: JsonOption = False,
    csv_file: Annotated[Path | None, typer.Option("--csv", dir_okay=False,
                                                  help="Write them to this CSV file.")] = None,
    xlsx_file: Annotated[Path | None, typer.Option("--xlsx", dir_okay=False,
                                                   help="Write them to this XLSX file.")] = None,
    config: ConfigOption = None,
) -> None:
    """The results per contact: every attempt (JSON), or a row per contact."""
    async def export(session: AsyncSession) -> list[dict[str, Any]]:
        await store.get_campaign(session, campaign_id)
        if csv_file is not None:
            with csv_file.open("w", encoding="utf-8", newline="") as out:
                await write_csv(progress.result_pages(session, campaign_id), out)
        if xlsx_file is not None:
            campaign = await store.get_campaign(session, campaign_id)
            await write_xlsx(progress.result_pages(session, campaign_id), xlsx_file,
                             campaign.name)
        if (csv_file is None and xlsx_file is None) or as_json:
            return await progress.campaign_results(session, campaign_id)
        return []

    results = _on_database(config, export)
    if as_json:
        _echo_json(results)
    elif csv_file is None and xlsx_file is None:
        print_rows([dict(zip(COLUMNS, flat_row(r), strict=True)) for r in results], COLUMNS,
                   False, title=f"Campaign {campaign_id}")
    for written in (csv_file, xlsx_file):
        if written is not None:
            err_console.print(f"written: {written}", highlight=False)


@app.command("watch")
def watch_command(campaign_id: CampaignId,
                  every: Annotated[float, typer.Option(min=0.05, help="Seconds between two "
                                                                      "looks.")] = 2.0,
                  config: ConfigOption = None) -> None:
    """Live progress until the campaign is finished or stopped (Ctrl-C leaves earlier)."""
    settings = settings_or_exit(config)
    try:
        final = run_on_database(_watch(settings.database_url, campaign_id, every))
    except store.CampaignNotFound as exc:
        raise fail(str(exc).strip("'\"")) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    typer.echo(f"campaign {campaign_id} {final['state']}: {_summary(final)}")


async def _watch(url: str, campaign_id: int, every: float) -> dict[str, Any]:
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[summary]}"))
    async with database_sessions(url) as sessions:
        with Progress(*columns, console=err_console, transient=True,
                      disable=not err_console.is_terminal) as bar:
            task = bar.add_task("", total=None, summary="")
            while True:
                async with sessions() as session:
                    status = await progress.campaign_status(session, campaign_id, now())
                bar.update(task, description=f"{status['name']} ({status['state']})",
                           total=status["contacts"] or None, completed=status["completed"],
                           summary=_summary(status))
                if status["state"] in ENDED:
                    return status
                await asyncio.sleep(every)


def _summary(status: dict[str, Any]) -> str:
    """The progress in one line: dialled, answered, the commonest outcomes, the end."""
    dispositions = status["dispositions"]
    parts = [f"dialled {status['dialled']}", f"answered {status['answered']}",
             f"machine {dispositions.get('machine', 0)}", f"busy {dispositions.get('busy', 0)}",
             f"no answer {dispositions.get('no_answer', 0)}",
             f"remaining {status['remaining']}"]
    parts += [f"{outcome} {count}" for outcome, count in status["outcomes"].items()]
    if status["estimated_end"] is not None:
        parts.append(f"end ≈ {status['estimated_end']:%H:%M} UTC")
    return ", ".join(parts)
