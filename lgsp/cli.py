"""The ``lgsp`` command.

    lgsp demo | run | gateway | adapter AXIS | systems add|list | schemas export DIR

Settings come from ``LGSP_*`` variables, read once here into one ``Settings`` passed down. A
dependency that cannot be reached at start is one line on standard error and exit status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from contextlib import AsyncExitStack
from pathlib import Path

import structlog
from pydantic import ValidationError

from lgsp.errors import LGSPError
from lgsp.journal import Journal
from lgsp.logs import configure_logging
from lgsp.ops.cli import dead_letters_command
from lgsp.registry import register_operator, register_system, system_view
from lgsp.runtime import drain, open_services, start_adapters, wait_for_stop
from lgsp.settings import Settings

__all__ = ["main"]

log = structlog.get_logger("lgsp")

_AXES = ("document", "civil_status", "national")
"""The axes ``lgsp run`` starts an adapter for, and ``lgsp adapter`` accepts."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lgsp", description="Provincial integration and data-sharing platform."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="everything embedded, sample traffic; serves until Ctrl-C")
    demo.add_argument("--no-serve", action="store_true", help="exit once the sample is delivered")
    sub.add_parser("run", help="gateway and adapters in one process (production settings)")
    sub.add_parser("gateway", help="the HTTP gateway alone")
    adapter = sub.add_parser("adapter", help="one axis's adapter alone")
    adapter.add_argument("axis", choices=_AXES)

    systems = sub.add_parser("systems", help="register and list provincial systems")
    systems_sub = systems.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = systems_sub.add_parser("add", help="register a system; prints its API key once")
    add.add_argument("--id", required=True, dest="system_id")
    add.add_argument("--agency", required=True, help="agency code, e.g. 000.00.00.H41")
    add.add_argument("--webhook", help="URL lgsp POSTs deliveries to")
    add.add_argument("--format", choices=("json", "edxml"), default="json")
    add.add_argument(
        "--may-send",
        action="append",
        default=[],
        metavar="TYPE",
        help="a message type this system may send (repeatable)",
    )
    systems_sub.add_parser("list", help="registered systems, without secrets")

    operators = sub.add_parser("operators", help="register operators (dead letters, replays)")
    operators_sub = operators.add_subparsers(dest="action", required=True, metavar="ACTION")
    add_operator = operators_sub.add_parser("add", help="register an operator; prints its key once")
    add_operator.add_argument("--id", required=True, dest="operator_id")

    ops = sub.add_parser("ops", help="operators' tools")
    ops_sub = ops.add_subparsers(dest="tool", required=True, metavar="TOOL")
    dead = ops_sub.add_parser("dead-letters", help="list, show, replay and discard dead letters")
    dead_sub = dead.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = dead_sub.add_parser("list", help="dead letters, oldest first")
    listing.add_argument("--type")
    listing.add_argument("--sender")
    listing.add_argument("--limit", type=int, default=100)
    show = dead_sub.add_parser("show", help="one dead letter with its attempts and history")
    show.add_argument("id")
    replay = dead_sub.add_parser("replay", help="publish again (same id, history kept)")
    replay.add_argument("id", nargs="?", help="one message; or --all with filters")
    replay.add_argument("--all", action="store_true", help="every dead letter matching the filters")
    replay.add_argument("--type")
    replay.add_argument("--sender")
    discard = dead_sub.add_parser("discard", help="give a dead letter up, with a reason (audited)")
    discard.add_argument("id")
    discard.add_argument("--reason", required=True)
    for command in (replay, discard):
        command.add_argument("--operator", default="cli", help="who does it, for the record")

    schemas = sub.add_parser("schemas", help="the shared schemas")
    schemas_sub = schemas.add_subparsers(dest="action", required=True, metavar="ACTION")
    export = schemas_sub.add_parser("export", help="write one JSON Schema per message type")
    export.add_argument("directory", type=Path)
    return parser


async def _serve(settings: Settings, *, gateway: bool, axes: Sequence[str]) -> None:
    async with open_services(settings) as services:
        await start_adapters(services, axes)
        if gateway:
            # Imported here: an adapter process never loads the web server, the OpenAPI builder
            # or the docs page.
            from lgsp.gateway.serving import serve_http

            async with serve_http(services, settings.http_host, settings.http_port) as served:
                await wait_for_stop()
                log.info("stopping")
                await drain(services, served.lifecycle)
        else:
            from lgsp.metrics_server import serve_metrics

            async with AsyncExitStack() as stack:
                if settings.metrics_port:
                    await stack.enter_async_context(
                        serve_metrics(services.metrics, settings.http_host, settings.metrics_port)
                    )
                await wait_for_stop()
                log.info("stopping")
                await drain(services, None)
    log.info("stopped")


async def _systems(settings: Settings, args: argparse.Namespace) -> None:
    journal = await Journal.open(settings.db_url)
    try:
        if args.action == "add":
            created = await register_system(
                journal.systems,
                system_id=args.system_id,
                agency=args.agency,
                webhook_url=args.webhook,
                format=args.format,
                may_send=args.may_send,
            )
            print(json.dumps(created, ensure_ascii=False))
        else:
            views = [system_view(s) for s in await journal.systems.all()]
            print(json.dumps(views, ensure_ascii=False, indent=2))
    finally:
        await journal.close()


async def _operators(settings: Settings, args: argparse.Namespace) -> None:
    journal = await Journal.open(settings.db_url)
    try:
        created = await register_operator(journal.systems, operator_id=args.operator_id)
        print(json.dumps(created, ensure_ascii=False))
    finally:
        await journal.close()


def _export_schemas(directory: Path) -> None:
    from lgsp.schemas import MESSAGE_TYPES  # only this command needs the JSON Schemas

    directory.mkdir(parents=True, exist_ok=True)
    for name, model in MESSAGE_TYPES.items():
        path = directory / f"{name}.schema.json"
        path.write_text(json.dumps(model.model_json_schema(), ensure_ascii=False, indent=2) + "\n")
        print(path)


def _dispatch(settings: Settings, args: argparse.Namespace) -> int:
    match args.command:
        case "demo":
            from lgsp.demo import run_demo  # the simulators load with the demo only

            ok = asyncio.run(run_demo(settings, serve=not args.no_serve))
            return 0 if ok else 1
        case "run":
            asyncio.run(_serve(settings, gateway=True, axes=_AXES))
        case "gateway":
            asyncio.run(_serve(settings, gateway=True, axes=()))
        case "adapter":
            asyncio.run(_serve(settings, gateway=False, axes=[args.axis]))
        case "systems":
            asyncio.run(_systems(settings, args))
        case "schemas":
            _export_schemas(args.directory)
        case "operators":
            asyncio.run(_operators(settings, args))
        case "ops":
            return asyncio.run(dead_letters_command(settings, args))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        print(f"lgsp: LGSP_{str(first['loc'][0]).upper()}: {first['msg']}", file=sys.stderr)
        return 2
    configure_logging(settings)
    try:
        return _dispatch(settings, args)
    except LGSPError as exc:
        print(f"lgsp: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
