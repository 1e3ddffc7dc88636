"""CLI commands for accounts: `create-manager` and `api-token`.

The first admin is created here (`scheduler create-manager EMAIL --admin`); passwords come
from a prompt, from standard input (`--password-stdin`, for scripts) or are generated and
shown once (`--generate-password`). API tokens are printed once and stored hashed.
"""

from __future__ import annotations

import argparse
import getpass
import secrets
import sys
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, select

from scheduler.access.accounts import create_account, find_account, set_password, unlock
from scheduler.access.credentials import (
    api_tokens,
    close_other_sessions,
    issue_api_token,
    revoke_api_token,
)
from scheduler.access.passwords import PasswordRefused
from scheduler.cli.output import database_session, positive_id, ranged_int
from scheduler.domain.enums import Role
from scheduler.domain.errors import InputError
from scheduler.models import Account


def add_commands(sub: Any) -> None:
    """Add the account commands to the `scheduler` sub-command parser."""
    p = sub.add_parser("create-manager", help="create a manager (or --admin) account")
    p.add_argument("email")
    p.add_argument("--admin", action="store_true", help="every site, and accounts")
    p.add_argument("--site", action="append", default=[], metavar="SITE",
                   help="a site the manager is given (repeat for several)")
    p.add_argument("--name", default="", help="shown on the pages")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--password-stdin", action="store_true",
                     help="read the password from standard input")
    how.add_argument("--generate-password", action="store_true",
                     help="make a random password and print it once")
    p.add_argument("--if-no-account", action="store_true",
                   help="only when the database has no account yet (used by `make run`)")
    p.set_defaults(command=cmd_create_manager)

    p = sub.add_parser("unlock-account", help="lift a sign-in lock-out")
    p.add_argument("email")
    p.set_defaults(command=cmd_unlock_account)

    p = sub.add_parser("reset-password", help="set a new password; ends every session")
    p.add_argument("email")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--password-stdin", action="store_true",
                     help="read the password from standard input")
    how.add_argument("--generate-password", action="store_true",
                     help="make a random password and print it once")
    p.set_defaults(command=cmd_reset_password)

    p = sub.add_parser("api-token", help="print a new bearer token for scripts (or --list, "
                                         "--revoke)")
    p.add_argument("email")
    p.add_argument("--expires", type=ranged_int(1, 3650), metavar="DAYS",
                   help="valid this many days")
    p.add_argument("--label", default="", help="what the token is for")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--list", action="store_true", help="the account's tokens and last use")
    what.add_argument("--revoke", type=positive_id, metavar="ID", help="revoke this token")
    p.set_defaults(command=cmd_api_token)


def cmd_create_manager(args: argparse.Namespace) -> int:
    role = Role.ADMIN if args.admin else Role.MANAGER
    if role is Role.MANAGER and not args.site:
        raise InputError.single("", "--site", "a manager needs at least one site (or --admin)")
    with database_session() as session:
        if args.if_no_account and session.exec(select(Account.id)).first() is not None:
            print("the database already has an account; nothing created")
            return 0
        password = _password(args)
        account = create_account(session, email=args.email, password=password, role=role,
                                 sites=args.site, name=args.name, now=datetime.now(UTC))
        email = account.email
    where = "every site" if role is Role.ADMIN else ", ".join(args.site)
    print(f"created {role.value} {email} ({where})")
    if args.generate_password:
        print(f"password (shown once): {password}")
    return 0


def cmd_unlock_account(args: argparse.Namespace) -> int:
    with database_session() as session:
        account = _account(session, args.email)
        unlock(session, account)
        email = account.email
    print(f"unlocked {email}")
    return 0


def cmd_reset_password(args: argparse.Namespace) -> int:
    now = datetime.now(UTC)
    with database_session() as session:
        account = _account(session, args.email)
        password = _password(args)
        try:
            set_password(session, account, password, now=now)
        except PasswordRefused as exc:
            raise InputError.single("", "password", exc.message) from None
        ended = close_other_sessions(session, account, now=now)
        email = account.email
    print(f"new password for {email}; {ended} session(s) ended")
    if args.generate_password:
        print(f"password (shown once): {password}")
    return 0


def _account(session: Session, email: str) -> Account:
    account = find_account(session, email)
    if account is None:
        raise InputError.single("", "email", f"no account {email!r}")
    return account


def _password(args: argparse.Namespace) -> str:
    if args.generate_password:
        return secrets.token_urlsafe(15)
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password (12 characters or more): ")
    if getpass.getpass("Password again: ") != first:
        raise InputError.single("", "password", "the two passwords differ")
    return first


def cmd_api_token(args: argparse.Namespace) -> int:
    now = datetime.now(UTC)
    with database_session() as session:
        account = _account(session, args.email)
        if args.list:
            for token in api_tokens(session, account):
                state = "revoked" if token.revoked_at else \
                    "expired" if token.expires_at and token.expires_at <= now else "live"
                last = token.last_used_at.isoformat() if token.last_used_at else "never"
                expires = token.expires_at.date().isoformat() if token.expires_at else "never"
                print(f"{token.id}\t{state}\tcreated {token.created_at.date()}\texpires "
                      f"{expires}\tlast used {last}\t{token.label}")
            return 0
        if args.revoke is not None:
            if not revoke_api_token(session, account, args.revoke, now=now):
                raise InputError.single("", "--revoke", f"{account.email} has no token "
                                        f"{args.revoke}")
            print(f"revoked token {args.revoke} of {account.email}")
            return 0
        secret = issue_api_token(session, account, now=now, days=args.expires,
                                 label=args.label)
    print(secret)
    return 0
