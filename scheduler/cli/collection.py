"""CLI commands for collecting answers: `invite`, `import-roster`, `coordinator-link`.

Registered on the `scheduler` command by `cli.main`; bad input raises `InputError`, which the
CLI prints as one line per problem with exit status 1.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scheduler.cli.output import database_session
from scheduler.collection.roster import MAX_ROSTER_BYTES
from scheduler.config.settings import get_settings
from scheduler.domain.errors import InputError


def add_commands(sub: Any) -> None:
    """Add the commands to the `scheduler` sub-command parser."""
    p = sub.add_parser("invite", help="issue personal links for a period (and email them)")
    p.add_argument("period")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--doctor", action="append", metavar="ID", help="repeat for several")
    who.add_argument("--organisation", metavar="ID", help="every member of the organisation")
    who.add_argument("--all", action="store_true", help="every doctor")
    p.add_argument("--send", action="store_true", help="email each doctor their link")
    p.set_defaults(command=cmd_invite)

    p = sub.add_parser("import-roster", help="preview (or --commit) a CSV roster of doctors")
    p.add_argument("file", type=Path)
    p.add_argument("--organisation", metavar="ID", help="for lines that name no organisation")
    p.add_argument("--commit", action="store_true", help="write it (all lines or none)")
    p.set_defaults(command=cmd_import_roster)

    p = sub.add_parser("coordinator-link", help="issue a coordinator's read-only link")
    p.add_argument("organisation")
    p.add_argument("--period", help="only this period (the link then expires with it)")
    p.add_argument("--send", action="store_true", help="email it to the coordinator")
    p.set_defaults(command=cmd_coordinator_link)


def cmd_invite(args: argparse.Namespace) -> int:
    from scheduler.collection.invitations import doctors_to_invite, invite, send_invitations

    settings = get_settings()
    if args.send and not settings.smtp_host:
        raise InputError.single("", "--send", "no SMTP host configured (SCHEDULER_SMTP_HOST)")
    now = datetime.now(UTC)
    with database_session() as session:
        ids = doctors_to_invite(session, doctor_ids=args.doctor or (),
                                organisation_id=args.organisation, everyone=args.all)
        issued = invite(session, args.period, ids, now=now, base_url=settings.base_url)
        if args.send:
            issued = send_invitations(session, settings, args.period, issued, now=now)
    failed = 0
    for link in issued:
        if not args.send:
            print(f"{link.doctor_id}\t{link.doctor_name}\t{link.url}")
        elif link.email_error:
            failed += 1
            print(f"{link.doctor_id}\tNOT SENT ({link.email_error})\t{link.url}")
        else:
            print(f"{link.doctor_id}\temailed to {link.emailed_to}")
    print(f"{len(issued)} links issued for {args.period}" +
          (f", {len(issued) - failed} emailed" if args.send else ""))
    return 1 if failed else 0


def cmd_import_roster(args: argparse.Namespace) -> int:
    from scheduler.collection.roster import import_roster, preview_roster

    try:
        if args.file.stat().st_size > MAX_ROSTER_BYTES:
            raise InputError.single(str(args.file), "", f"larger than {MAX_ROSTER_BYTES:,} bytes")
        data = args.file.read_bytes()
    except OSError as exc:
        raise InputError.single(str(args.file), "", f"cannot read file: {exc}") from None
    with database_session() as session:
        if args.commit:
            preview = import_roster(session, data, organisation_id=args.organisation,
                                    source=str(args.file))
        else:
            preview = preview_roster(session, data, organisation_id=args.organisation,
                                     source=str(args.file))
    if not preview.ok:
        raise InputError(preview.problems)
    for line in preview.lines:
        print(f"line {line.line}\t{line.action}\t{line.doctor_id}\t{line.name}\t{line.email}")
    counts = ", ".join(f"{preview.count(a)} {a}" for a in ("create", "update", "unchanged"))
    verb = "imported" if args.commit else "would import (use --commit to write)"
    print(f"{args.file}: {verb}: {counts} ({preview.encoding}, '{preview.delimiter}')")
    return 0


def cmd_coordinator_link(args: argparse.Namespace) -> int:
    from scheduler.collection.coordinators import coordinator_message, issue_coordinator_link
    from scheduler.collection.mail import MailError, send
    from scheduler.models import Organisation

    settings = get_settings()
    with database_session() as session:
        url = issue_coordinator_link(session, args.organisation, now=datetime.now(UTC),
                                     base_url=settings.base_url, period_id=args.period)
        organisation = session.get(Organisation, args.organisation)
        assert organisation is not None
        if args.send:
            if not organisation.coordinator_email:
                raise InputError.single("", "organisation",
                                        f"{args.organisation} has no coordinator_email")
            try:
                send(settings, coordinator_message(organisation, url, settings.ed_contact))
            except MailError as exc:
                print(f"{url}\nerror: not emailed: {exc}", file=sys.stderr)
                return 1
            print(f"emailed to {organisation.coordinator_email}")
    print(url)
    return 0
