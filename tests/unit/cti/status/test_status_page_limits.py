"""The status page's rate limits: IPv6 clients by their /64, a ceiling over all clients, and
X-Forwarded-For believed only from the proxies in ``web.trusted_proxies``."""

from __future__ import annotations

from ipaddress import ip_network

import httpx
import pytest
from fastapi import FastAPI

from centralino.core.proxies import behind_proxies
from centralino.core.rate_limit import client_key
from config.loader import ConfigError, load_settings
from cti.status.http import status_page_router


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def site(per_client: int = 2, total: int = 100, trusted: tuple[str, ...] = ()
         ) -> tuple[object, FakeClock]:
    clock = FakeClock()
    app = FastAPI()
    # look-ups of a malformed code are refused before the database: none is needed here
    app.include_router(status_page_router(None, lookups_per_minute=per_client,  # type: ignore[arg-type]
                                          lookups_per_minute_total=total, clock=clock))
    return behind_proxies(app, [ip_network(n) for n in trusted]), clock


async def look_up(app: object, peer: str, forwarded_for: str | None = None) -> int:
    transport = httpx.ASGITransport(app=app, client=(peer, 50000))  # type: ignore[arg-type]
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return (await client.get("/api/status/12", headers=headers)).status_code


@pytest.mark.parametrize(("host", "key"), [
    ("198.51.100.7", "198.51.100.7"),
    ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
    ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
    ("::ffff:198.51.100.7", "198.51.100.7"),
    ("testclient", "testclient"),
    (None, "unknown"),
])
def test_whom_a_hit_counts_against(host: str | None, key: str) -> None:
    assert client_key(host) == key


async def test_ipv6_addresses_of_one_64_share_one_allowance() -> None:
    app, _ = site(per_client=2)
    answers = [await look_up(app, f"2001:db8:1:2::{n}") for n in range(1, 4)]
    assert answers == [400, 400, 429]
    assert await look_up(app, "2001:db8:1:3::1") == 400  # another /64


async def test_all_clients_together_have_a_ceiling() -> None:
    app, clock = site(per_client=2, total=5)
    answers = [await look_up(app, f"198.51.100.{n}") for n in range(1, 8)]
    assert answers == [400] * 5 + [429] * 2
    clock.now += 60
    assert await look_up(app, "198.51.100.99") == 400


async def test_a_client_over_its_own_limit_does_not_use_up_the_ceiling() -> None:
    app, _ = site(per_client=2, total=5)
    answers = [await look_up(app, "198.51.100.1") for _ in range(10)]
    assert answers == [400, 400] + [429] * 8
    assert [await look_up(app, f"203.0.113.{n}") for n in range(1, 4)] == [400] * 3


async def test_forwarded_for_is_ignored_without_trusted_proxies() -> None:
    app, _ = site(per_client=1)
    assert await look_up(app, "127.0.0.1", "198.51.100.1") == 400
    assert await look_up(app, "127.0.0.1", "198.51.100.2") == 429  # both are the proxy


async def test_forwarded_for_from_an_untrusted_peer_is_ignored() -> None:
    app, _ = site(per_client=1, trusted=("10.0.0.0/8",))
    assert await look_up(app, "198.51.100.9", "198.51.100.1") == 400
    assert await look_up(app, "198.51.100.9", "198.51.100.2") == 429


async def test_the_client_is_the_right_most_address_not_a_trusted_proxy() -> None:
    app, _ = site(per_client=1, trusted=("10.0.0.0/8", "2001:db8:ffff::/48"))
    assert await look_up(app, "10.0.0.1", "198.51.100.1, 10.0.0.2") == 400
    # a forged left-most entry does not make it another client
    assert await look_up(app, "10.0.0.1", "203.0.113.66, 198.51.100.1, 10.0.0.2") == 429
    assert await look_up(app, "2001:db8:ffff::1", "198.51.100.2") == 400


def test_trusted_proxies_and_limits_are_settings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "settings.yaml"
    path.write_text("version: 1\nweb:\n  trusted_proxies: [10.0.0.0/8, '::1']\n"
                    "  status_page: {per_client_per_minute: 10, total_per_minute: 100}\n",
                    encoding="utf-8")
    web = load_settings(path).web
    assert [str(n) for n in web.trusted_proxies] == ["10.0.0.0/8", "::1/128"]
    assert (web.status_page.per_client_per_minute, web.status_page.total_per_minute) == (10, 100)
    path.write_text("version: 1\nweb:\n  trusted_proxies: [proxy.example]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"web\.trusted_proxies\.0"):
        load_settings(path)
