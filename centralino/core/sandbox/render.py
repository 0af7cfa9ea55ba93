"""Render the sandbox Asterisk's configuration from the settings.

The Jinja2 templates are ``config/asterisk/*.conf.j2``.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import jinja2

from config.secrets import Secrets
from config.settings import Settings

INSTANCES_DIR = "/var/lib/centralino"
"""Where the per-instance directories live inside the root filesystem."""

# Modules Debian ships that slow the boot, need hardware, a database, a DNS resolver or a
# network service, or that conflict with the ones we use. Everything else autoloads.
NOLOAD_MODULES = (
    "app_adsiprog.so", "app_agent_pool.so", "app_alarmreceiver.so", "app_audiosocket.so",
    "app_confbridge.so", "app_festival.so", "app_followme.so", "app_getcpeid.so", "app_jack.so",
    "app_minivm.so", "app_mp3.so", "app_page.so", "app_sms.so", "app_test.so",
    "app_voicemail_odbc.so",  # conflicts with app_voicemail
    "cdr_adaptive_odbc.so", "cdr_csv.so", "cdr_custom.so", "cdr_manager.so", "cdr_odbc.so",
    "cdr_pgsql.so", "cdr_radius.so", "cdr_sqlite3_custom.so", "cdr_tds.so",
    "cel_custom.so", "cel_manager.so", "cel_odbc.so", "cel_pgsql.so", "cel_radius.so",
    "cel_sqlite3_custom.so", "cel_tds.so",
    "chan_audiosocket.so", "chan_console.so", "chan_iax2.so", "chan_motif.so",
    "chan_unistim.so", "chan_websocket.so",
    "func_odbc.so",
    "pbx_ael.so", "pbx_dundi.so", "pbx_lua.so", "pbx_realtime.so",
    "res_adsi.so", "res_aeap.so", "res_speech_aeap.so", "res_audiosocket.so",
    "res_calendar.so", "res_calendar_caldav.so", "res_calendar_ews.so",
    "res_calendar_exchange.so", "res_calendar_icalendar.so", "res_cdrel_custom.so",
    "res_clialiases.so",
    "res_config_curl.so", "res_config_ldap.so", "res_config_odbc.so", "res_config_pgsql.so",
    "res_config_sqlite3.so", "res_odbc.so", "res_odbc_transaction.so",
    "res_fax.so", "res_fax_spandsp.so",
    "res_geolocation.so", "res_pjsip_geolocation.so",
    "res_hep.so", "res_hep_pjsip.so", "res_hep_rtcp.so",
    "res_parking.so", "res_phoneprov.so", "res_pjsip_phoneprov_provider.so",
    "res_pjsip_config_wizard.so", "res_pjsip_notify.so", "res_pjsip_transport_websocket.so",
    "res_prometheus.so", "res_resolver_unbound.so", "res_smdi.so", "res_snmp.so",
    "res_statsd.so", "res_stun_monitor.so", "res_xmpp.so",
    "res_stir_shaken.so", "res_pjsip_stir_shaken.so",
    "res_stasis_test.so", "res_timing_pthread.so",
)
# Not in the list although unused directly: res_websocket_client (res_ari needs its symbols
# in Asterisk 22), res_pjsip_outbound_publish (res_pjsip_exten_state needs it).

# What each file is rendered from, for its header.
_SOURCES = {
    "asterisk.conf": "sandbox.instance, prompts.language",
    "modules.conf": "no settings",
    "logger.conf": "no settings",
    "manager.conf": ("asterisk.host, asterisk.ami.port, asterisk.ami.username, "
                     "sandbox.tools_ami_username, the AMI secrets"),
    "http.conf": "asterisk.host, asterisk.ari.port",
    "ari.conf": "asterisk.ari.username, the ARI password",
    "pjsip.conf": ("asterisk.sip, toll_free.trunk_addresses, toll_free.outbound_contact, "
                   "seats, the seat passwords"),
    "extensions.conf": ("toll_free.number, prompts.language, asterisk.ari.app, acd, "
                        "ivr.asterisk_media_dir"),
    "queues.conf": "acd",
    "rtp.conf": "no settings",
    "cdr.conf": "no settings",
    "cel.conf": "no settings",
    "musiconhold.conf": "no settings",
    "indications.conf": "no settings",
    "amd.conf": "no settings",
    "voicemail.conf": "no settings",
}
# Files Asterisk complains about when missing, for modules whose defaults suit us.
_EMPTY = ("acl.conf", "ccss.conf", "features.conf", "pjproject.conf", "stasis.conf",
          "res_http_media_cache.conf", "udptl.conf", "websocket_client.conf")


@dataclass(frozen=True)
class _Seat:
    name: str
    password: str


def notice_fallback_language(settings: Settings) -> str:
    """The recording notice's language for callers whose language has none."""
    notices = settings.acd.recording_notice
    language = settings.prompts.language
    return language if language in notices else next(iter(notices))


def instance_dir(instance: str) -> str:
    """The instance's directory, as seen from inside the root filesystem."""
    return f"{INSTANCES_DIR}/{instance}"


def _environment() -> jinja2.Environment:
    templates = resources.files("config") / "asterisk"
    return jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: (templates / name).read_text(encoding="utf-8")),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
        autoescape=False,
    )


def render_asterisk_config(settings: Settings, secrets: Secrets,
                           module_dir: str | None = None) -> dict[str, str]:
    """Return every Asterisk config file the sandbox needs, as file name -> text.

    ``module_dir`` is the module directory inside the root (architecture-specific on Debian);
    without it Asterisk uses its compiled-in default.
    """
    env = _environment()
    context = {
        "asterisk": settings.asterisk,
        "toll_free": settings.toll_free,
        "acd": settings.acd,
        "language": settings.prompts.language,
        "media_dir": (settings.ivr.asterisk_media_dir
                      or f"{instance_dir(settings.sandbox.instance)}/media"),
        "notice_language": notice_fallback_language(settings),
        "instance": settings.sandbox.instance,
        "instance_dir": instance_dir(settings.sandbox.instance),
        "module_dir": module_dir,
        "noload": NOLOAD_MODULES,
        "ami_secret": secrets.ami_secret,
        "tools_ami_username": settings.sandbox.tools_ami_username,
        "ami_tools_secret": secrets.ami_tools_secret,
        "ari_password": secrets.ari_password,
        "seats": [_Seat(name, secrets.seat_passwords[name]) for name in settings.seats.names],
        "source": "the Centralino settings",
    }
    files = {name: env.get_template(f"{name}.j2").render(context, keys=keys)
             for name, keys in _SOURCES.items()}
    empty = env.get_template("empty.conf.j2")
    files.update({name: empty.render(context, keys="no settings") for name in _EMPTY})
    return files
