"""Adding, authenticating and disabling users.

Functions take an :class:`AsyncSession` and commit their own unit of work.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from centralino.core.auth.models import Role, User
from centralino.core.auth.passwords import (
    generate_password,
    hash_password,
    needs_rehash,
    verify_nothing,
    verify_password,
)
from centralino.core.auth.web_sessions import end_user_sessions
from centralino.core.db import utcnow

NAME_PATTERN = re.compile(r"[a-z][a-z0-9._-]{1,63}")
MIN_PASSWORD_LENGTH = 12


class InvalidUser(ValueError):
    """A name, role or password the users table does not take."""


class UserExists(Exception):
    """A user with that name exists already."""

    def __init__(self, name: str) -> None:
        super().__init__(f"a user named {name!r} exists already")


class UnknownUser(LookupError):
    """No user with that name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"no user named {name!r}")


def check_name(name: str) -> str:
    """``name`` if it is a valid user name, else :class:`InvalidUser` saying what one is."""
    if not NAME_PATTERN.fullmatch(name):
        raise InvalidUser(f"{name!r} is not a user name: 2 to 64 characters, lowercase letters, "
                          "digits, '.', '_' or '-', starting with a letter")
    return name


def check_role(role: str) -> Role:
    """``role`` as a :class:`Role`, else :class:`InvalidUser` listing the roles."""
    try:
        return Role(role)
    except ValueError:
        raise InvalidUser(f"{role!r} is not a role: {', '.join(Role)}") from None


async def add_user(session: AsyncSession, name: str, role: str) -> tuple[User, str]:
    """Create an active user with a generated password; return it and the password.

    The password is not stored anywhere else: show it once. Raises :class:`InvalidUser` for a
    bad name or role, :class:`UserExists` if the name is taken.
    """
    user = User(name=check_name(name), role=check_role(role))
    password = generate_password()
    user.password_hash = await hash_password(password)
    session.add(user)
    try:
        await session.commit()
    except IntegrityError:  # the unique name: a concurrent add, or an existing user
        await session.rollback()
        raise UserExists(name) from None
    return user, password


async def get_user(session: AsyncSession, name: str) -> User | None:
    """The user named ``name``, active or not."""
    result = await session.execute(select(User).where(User.name == name))
    return result.scalar_one_or_none()


async def authenticate(session: AsyncSession, name: str, password: str) -> User | None:
    """The active user ``name`` if ``password`` is theirs, else None (whatever the reason).

    Takes about as long for an unknown name as for a wrong password. On success records the
    login time and rehashes the password if the hashing parameters have changed.
    """
    user = await get_user(session, name)
    if user is None:
        await verify_nothing(password)
        return None
    if not await verify_password(user.password_hash, password) or not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = await hash_password(password)
    user.last_login_at = utcnow()
    await session.commit()
    return user


async def set_password(session: AsyncSession, name: str, password: str) -> User:
    """Replace the password of ``name``; their open web sessions end.

    Raises :class:`UnknownUser`, or :class:`InvalidUser` for a password shorter than
    :data:`MIN_PASSWORD_LENGTH`.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidUser(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    user = await _existing(session, name)
    user.password_hash = await hash_password(password)
    await end_user_sessions(session, user.id)
    await session.commit()
    return user


async def deactivate(session: AsyncSession, name: str) -> User:
    """Disable ``name``: no more logins, and their open web sessions end (open live views and
    consoles within :data:`centralino.core.auth.live.RECHECK_SECONDS`).

    Raises :class:`UnknownUser`.
    """
    user = await _existing(session, name)
    user.active = False
    await end_user_sessions(session, user.id)
    await session.commit()
    return user


async def list_users(session: AsyncSession) -> list[User]:
    """Every user, by name."""
    result = await session.execute(select(User).order_by(User.name))
    return list(result.scalars().all())


async def _existing(session: AsyncSession, name: str) -> User:
    user = await get_user(session, name)
    if user is None:
        raise UnknownUser(name)
    return user
