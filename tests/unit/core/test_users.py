"""Users: adding, authenticating, passwords, disabling (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.core.auth.models import Permission, Role
from centralino.core.auth.service import (
    InvalidUser,
    UnknownUser,
    UserExists,
    add_user,
    authenticate,
    deactivate,
    get_user,
    list_users,
    set_password,
)
from centralino.core.auth.throttle import LoginThrottle

Sessions = async_sessionmaker[AsyncSession]


async def test_a_new_user_is_active_and_stores_an_argon2_hash_not_the_password(
    db_session_factory: Sessions,
) -> None:
    async with db_session_factory() as session:
        user, password = await add_user(session, "anna.rossi", "supervisor")
    assert len(password) >= 16
    async with db_session_factory() as session:
        stored = await get_user(session, "anna.rossi")
    assert stored is not None and stored.id == user.id
    assert (stored.role, stored.active, stored.last_login_at) == ("supervisor", True, None)
    assert stored.password_hash.startswith("$argon2id$")
    assert password not in stored.password_hash
    assert stored.created_at.tzinfo is not None


async def test_two_users_get_different_passwords(db_session_factory: Sessions) -> None:
    async with db_session_factory() as session:
        _, first = await add_user(session, "anna", "operator")
        _, second = await add_user(session, "marco", "operator")
    assert first != second


async def test_a_taken_name_is_refused_and_the_first_user_is_untouched(
    db_session_factory: Sessions,
) -> None:
    async with db_session_factory() as session:
        _, password = await add_user(session, "anna", "operator")
        with pytest.raises(UserExists, match="'anna' exists already"):
            await add_user(session, "anna", "admin")
    async with db_session_factory() as session:
        user = await authenticate(session, "anna", password)
    assert user is not None and user.role == "operator"


@pytest.mark.parametrize("name", ["a", "Anna", "1anna", "anna rossi", "anna@x", "", "a" * 65])
async def test_a_name_outside_the_pattern_is_refused(db_session_factory: Sessions,
                                                     name: str) -> None:
    async with db_session_factory() as session:
        with pytest.raises(InvalidUser, match="not a user name"):
            await add_user(session, name, "operator")
        assert await list_users(session) == []


async def test_names_of_two_to_sixty_four_allowed_characters_are_accepted(
    db_session_factory: Sessions,
) -> None:
    names = ["ab", "anna.rossi", "m_bianchi-2", "z" * 64]
    async with db_session_factory() as session:
        for name in names:
            await add_user(session, name, "operator")
        assert [u.name for u in await list_users(session)] == sorted(names)


async def test_an_unknown_role_is_refused(db_session_factory: Sessions) -> None:
    async with db_session_factory() as session:
        with pytest.raises(InvalidUser,
                           match="not a role: operator, supervisor, campaign_manager, admin"):
            await add_user(session, "anna", "root")


async def test_the_right_password_authenticates_and_records_the_login_time(
    db_session_factory: Sessions,
) -> None:
    async with db_session_factory() as session:
        _, password = await add_user(session, "anna", "operator")
    before = datetime.now(UTC)
    async with db_session_factory() as session:
        user = await authenticate(session, "anna", password)
    assert user is not None and user.name == "anna"
    async with db_session_factory() as session:
        stored = await get_user(session, "anna")
    assert stored is not None and stored.last_login_at is not None
    assert before - timedelta(seconds=1) <= stored.last_login_at <= datetime.now(UTC)


async def test_a_wrong_password_an_unknown_name_and_a_disabled_user_do_not_authenticate(
    db_session_factory: Sessions,
) -> None:
    async with db_session_factory() as session:
        _, anna = await add_user(session, "anna", "operator")
        _, marco = await add_user(session, "marco", "supervisor")
        await deactivate(session, "marco")
        assert await authenticate(session, "anna", anna + "x") is None
        assert await authenticate(session, "anna", "") is None
        assert await authenticate(session, "nobody", anna) is None
        assert await authenticate(session, "marco", marco) is None
        stored = await get_user(session, "marco")
    assert stored is not None and stored.active is False and stored.last_login_at is None


async def test_a_hash_made_with_weaker_parameters_is_upgraded_at_login(
    db_session_factory: Sessions,
) -> None:
    async with db_session_factory() as session:
        user, _ = await add_user(session, "anna", "operator")
        user.password_hash = PasswordHasher(time_cost=1, memory_cost=8192).hash("old-password-1")
        await session.commit()
    async with db_session_factory() as session:
        assert await authenticate(session, "anna", "old-password-1") is not None
    async with db_session_factory() as session:
        stored = await get_user(session, "anna")
        assert stored is not None
        assert not PasswordHasher().check_needs_rehash(stored.password_hash)
        assert await authenticate(session, "anna", "old-password-1") is not None


async def test_a_new_password_replaces_the_old_one(db_session_factory: Sessions) -> None:
    async with db_session_factory() as session:
        _, old = await add_user(session, "anna", "operator")
        await set_password(session, "anna", "a-brand-new-secret")
        assert await authenticate(session, "anna", old) is None
        assert await authenticate(session, "anna", "a-brand-new-secret") is not None


async def test_a_short_password_and_an_unknown_user_are_refused(
    db_session_factory: Sessions,
) -> None:
    async with db_session_factory() as session:
        await add_user(session, "anna", "operator")
        with pytest.raises(InvalidUser, match="at least 12"):
            await set_password(session, "anna", "short")
        with pytest.raises(UnknownUser, match="no user named 'nobody'"):
            await set_password(session, "nobody", "long-enough-secret")
        with pytest.raises(UnknownUser):
            await deactivate(session, "nobody")


async def test_users_are_listed_by_name_with_role_and_state(db_session_factory: Sessions) -> None:
    async with db_session_factory() as session:
        await add_user(session, "marco", "admin")
        await add_user(session, "anna", "operator")
        await deactivate(session, "marco")
    async with db_session_factory() as session:
        users = await list_users(session)
    assert [(u.name, u.role, u.active) for u in users] == [("anna", "operator", True),
                                                          ("marco", "admin", False)]


def test_roles_are_sets_of_permissions_not_a_ladder() -> None:
    assert Role.ADMIN.permissions == set(Permission)
    assert Role.OPERATOR.permissions < Role.SUPERVISOR.permissions < Role.ADMIN.permissions
    assert Role.SUPERVISOR.may(Permission.HOURS_OVERRIDE)
    assert not Role.SUPERVISOR.may(Permission.IVR_RELOAD)
    assert not Role.OPERATOR.may(Permission.LIVE_VIEW)
    campaigns = Role.CAMPAIGN_MANAGER.permissions
    assert campaigns == {Permission.CAMPAIGNS, Permission.CAMPAIGN_REPORTS}
    assert not campaigns & Role.OPERATOR.permissions  # no console, no recordings
    assert not campaigns <= Role.SUPERVISOR.permissions  # not a step on a ladder either


def test_the_throttle_takes_back_only_the_attempt_that_succeeded() -> None:
    throttle = LoginThrottle(limit=3, window=60, clock=lambda: 1000.0)
    throttle.failed("10.0.0.7")
    throttle.failed("10.0.0.7")
    throttle.failed("10.0.0.7")  # counted before checking: this one was the right password
    throttle.succeeded("10.0.0.7")
    assert throttle.retry_after("10.0.0.7") == 0
    throttle.failed("10.0.0.7")
    assert throttle.retry_after("10.0.0.7") > 0  # the two guesses before it still count


def test_the_throttle_allows_five_failures_a_minute_per_key_and_forgets_them() -> None:
    now = [1000.0]
    throttle = LoginThrottle(limit=5, window=60, clock=lambda: now[0])
    for _ in range(5):
        assert throttle.retry_after("anna") == 0
        throttle.failed("anna")
        now[0] += 1
    assert throttle.retry_after("anna") == pytest.approx(55)
    assert throttle.retry_after("marco") == 0
    now[0] += 55
    assert throttle.retry_after("anna") == 0
    throttle.failed("anna")
    throttle.succeeded("anna")
    assert throttle.retry_after("anna") == 0
