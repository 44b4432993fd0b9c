"""``lgsp ops dead-letters ...``: the operators' tools on the command line.

Works on the journal and the broker named by the ``LGSP_*`` settings, like every command; a bulk
replay shows a progress bar.
"""

from __future__ import annotations

import argparse
import json
import sys

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from lgsp.bus import create_bus
from lgsp.errors import ValidationFailed
from lgsp.journal import Journal
from lgsp.ops.dead_letters import DeadLetters
from lgsp.settings import Settings

__all__ = ["dead_letters_command"]


async def dead_letters_command(settings: Settings, args: argparse.Namespace) -> int:
    journal = await Journal.open(settings.db_url)
    bus = create_bus(settings)
    try:
        if args.action in ("replay",):
            await bus.start()
        letters = DeadLetters(journal, bus)
        console = Console(file=sys.stdout, soft_wrap=True)
        match args.action:
            case "list":
                found = await letters.list(type=args.type, sender=args.sender, limit=args.limit)
                table = Table("id", "type", "sender", "parked at", "attempts", "reason")
                for letter in found:
                    v = letter.view()
                    table.add_row(
                        v["id"],
                        v["type"],
                        v["sender"],
                        v["parked_at"],
                        str(len(letter.message.events)),
                        v["reason"] or "",
                    )
                console.print(table if found else "no dead letters")
            case "show":
                letter = await letters.show(args.id)
                view = letter.view()
                view["events"] = [
                    {
                        "status": e.status,
                        "at": e.at.isoformat(),
                        "recipient": e.recipient,
                        "detail": e.detail,
                    }
                    for e in letter.message.events
                ]
                print(json.dumps(view, ensure_ascii=False, indent=2, default=str))
            case "replay" if args.all:
                with Progress(
                    TextColumn("replaying"), BarColumn(), MofNCompleteColumn(), console=console
                ) as bar:
                    task = bar.add_task("replay", total=None)
                    count = await letters.replay_matching(
                        operator=args.operator,
                        type=args.type,
                        sender=args.sender,
                        progress=lambda done, total: bar.update(task, completed=done, total=total),
                    )
                console.print(f"replayed {count} dead letter(s)")
            case "replay":
                if not args.id:
                    raise ValidationFailed("give a message id, or --all with filters")
                await letters.replay(args.id, operator=args.operator)
                console.print(f"replayed {args.id}")
            case "discard":
                await letters.discard(args.id, operator=args.operator, reason=args.reason)
                console.print(f"discarded {args.id}")
        return 0
    finally:
        await bus.close()
        await journal.close()
