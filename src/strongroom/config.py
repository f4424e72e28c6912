"""Settings: defaults, overridden by a TOML file, overridden by the environment.

Every component receives the values it needs as arguments; nothing reads this module's state.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import math
import os
import re
import socket
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from strongroom.errors import InvalidInput

DEFAULT_DATA_DIR = Path("strongroom-data")
_WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})  # noqa: S104 - names, not a bind
MIB = 1024 * 1024
# Size units as people write them: binary (KiB ...) and decimal (kB ...), case aside.
_SIZE_UNITS = {"": 1, "b": 1, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40,
               "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$", re.IGNORECASE)
# An archive may expand to this many times the largest file allowed, and never to less than
# the default max_uncompressed_size: the defaults' own proportion (2 GiB for 100 MiB files),
# so that a raised file limit does not leave the absolute cap below the files it allows.
_EXPANSION_PER_FILE_BYTE = 20


def parse_size(text: str) -> int:
    """A size in bytes from ``text``: a whole number of bytes, or a number with a unit (``100MiB``,
    ``2 GiB``, ``1.5GB``; binary units count in 1024s, decimal ones in 1000s; fractions are
    rounded down to a whole byte). Raises ValueError unless the result is at least one byte."""
    match = _SIZE.match(text)
    unit = _SIZE_UNITS.get(match.group(2).lower()) if match else None
    if match is None or unit is None:
        raise ValueError(f"{text!r} is not a size such as 104857600, 100MiB or 2GiB")
    number = match.group(1)
    size = (int(number) * unit if "." not in number
            else int(float(number) * unit))  # an exact whole number stays exact
    if size < 1:
        raise ValueError(f"{text!r} is not a positive size")
    return size


def format_size(size: int) -> str:
    """``size`` bytes in the largest binary unit that divides it (``100 MiB``, ``2 GiB``), else
    in MiB with up to two decimals, or in bytes below one MiB."""
    for unit, name in ((2**40, "TiB"), (2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
        if size >= unit and size % unit == 0:
            return f"{size // unit} {name}"
    if size >= MIB:
        return f"{size / MIB:.2f}".rstrip("0").rstrip(".") + " MiB"
    return f"{size} bytes"


@dataclass(frozen=True)
class Limits:
    """Upload limits, in bytes or ratios: the index's defaults, or one project's own
    (``for_project``)."""

    max_file_size: int = 100 * MIB
    max_project_size: int = 10 * 1024 * MIB
    max_uncompressed_size: int = 2048 * MIB
    max_compression_ratio: float = 50.0
    # A high ratio alone is normal for tiny, repetitive files; only large expansions count.
    ratio_threshold_size: int = 64 * MIB
    max_members: int = 100_000

    def for_project(self, file_size: int | None, project_size: int | None) -> Limits:
        """The limits of a project whose own file and total size limits are ``file_size`` and
        ``project_size`` (None: this index's default, as on a new project).

        An override replaces the default, up or down. The uncompressed-size cap grows with the
        file limit (``_EXPANSION_PER_FILE_BYTE``), never below this index's own; the
        compression-ratio rule, the bomb check that matters, is unchanged.
        """
        max_file_size = self.max_file_size if file_size is None else file_size
        return replace(
            self,
            max_file_size=max_file_size,
            max_project_size=self.max_project_size if project_size is None else project_size,
            max_uncompressed_size=max(self.max_uncompressed_size,
                                      max_file_size * _EXPANSION_PER_FILE_BYTE),
        )


@dataclass(frozen=True)
class ConnectionLimits:
    """What the HTTP server allows each client connection (web/server/limits.py enforces them).

    Times are in seconds, sizes in bytes, the rate in bytes per second; ``load_settings`` takes
    only positive values.
    ``head_timeout``: the request line and headers must be complete this long after the
    connection opens, or after the first byte of each later request on it. ``body_timeout`` and
    ``min_body_rate``: a body may pause at most ``body_timeout`` between bytes, and must average
    ``min_body_rate`` after a grace of ``body_timeout`` (Apache mod_reqtimeout's
    "body=20,MinRate=500"). ``send_timeout``: how long a client may leave a response unread
    while the server waits to write. ``max_connections``: open connections per server process.
    ``max_request_line``: bytes of the request target (URL). ``max_header_bytes``: bytes of the
    whole head (request line and headers).
    """

    head_timeout: float = 15.0
    body_timeout: float = 20.0
    min_body_rate: float = 500.0
    send_timeout: float = 60.0
    max_connections: int = 1024
    max_request_line: int = 8192
    max_header_bytes: int = 65536


class TwoFactorRequired(StrEnum):
    """Who must have a second factor (TOTP or a security key): the ``two_factor_required``
    setting. ``nobody``: no one; ``critical``: whoever uploads to a critical project, once
    ``critical_grace`` days have passed since it became critical; ``uploaders``: whoever makes
    or uploads with an upload token; ``everyone``: every user, for every token and for the web
    pages too."""

    NOBODY = "nobody"
    CRITICAL = "critical"
    UPLOADERS = "uploaders"
    EVERYONE = "everyone"

    def covers_token(self, *, read_only: bool) -> bool:
        """Whether a token of this kind may be made, and used, only by a user with a second
        factor (a read-only token uploads nothing, so only ``everyone`` covers it)."""
        return self is TwoFactorRequired.EVERYONE or (
            self is TwoFactorRequired.UPLOADERS and not read_only)

    @property
    def covers_web(self) -> bool:
        """Whether a signed-in user without a second factor may only set one up."""
        return self is TwoFactorRequired.EVERYONE


@dataclass(frozen=True)
class Settings:
    """Everything a Strongroom process needs to know to start."""

    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str | None = None
    storage_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    base_url: str | None = None
    # Scale-out (see README "Scale-out"): Redis shares the change feed and rate limits between
    # workers; S3 settings apply when storage_url is s3://bucket/prefix (credentials come from
    # boto3's own chain: AWS_ACCESS_KEY_ID ..., ~/.aws, instance roles).
    redis_url: str | None = None
    # Keys of one index in a shared Redis start with this (several indexes, or tests, apart).
    redis_prefix: str = "strongroom:"
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    # Comma-separated base URLs of caching proxies to send PURGE requests to after each write.
    purge_urls: str | None = None
    # GET + X-Strongroom-Refresh (stock nginx, deploy/nginx.conf) or PURGE (Varnish, CDNs).
    purge_method: str = "GET"
    # Rate limits in the ``limits`` notation ("60/minute"); "off" (the zero-configuration
    # default, so one address may bulk-publish to a private index) turns a limit off.
    upload_rate: str = "off"
    auth_failure_rate: str = "off"
    # A private index's reads with credentials that do not verify, per client address (README
    # "Private indexes"): on by default, as a private index's reads are what a guesser tries.
    read_auth_failure_rate: str = "30/minute;300/hour"
    # Failed exchanges of OIDC tokens at /_/oidc/mint-token, per client address (README
    # "Trusted publishing"): each may cost a fetch of an issuer's keys.
    mint_failure_rate: str = "30/minute;300/hour"
    # Seconds a long description may take to render before the upload is refused.
    readme_timeout: float = 5.0
    # Index-wide upload limits in bytes; ``strongroom admin project limits`` sets a project's own.
    max_file_size: int = Limits.max_file_size
    max_project_size: int = Limits.max_project_size
    # Seconds an idle keep-alive connection stays open after a response (uvicorn's own timer).
    keep_alive_timeout: float = 5.0
    # Slow and oversized clients (ConnectionLimits says what each means).
    head_timeout: float = ConnectionLimits.head_timeout
    body_timeout: float = ConnectionLimits.body_timeout
    min_body_rate: float = ConnectionLimits.min_body_rate
    send_timeout: float = ConnectionLimits.send_timeout
    max_connections: int = ConnectionLimits.max_connections
    max_request_line: int = ConnectionLimits.max_request_line
    max_header_bytes: int = ConnectionLimits.max_header_bytes
    # A private index answers no read (simple pages, JSON API, files, metadata) without a
    # verified API token (README "Private indexes").
    private: bool = False
    # Mail (README "Mail"): an SMTP URL, or None to write each message under data_dir/mail;
    # the From address (empty: strongroom@ the host of public_base_url); seconds each wait on
    # the SMTP server may last.
    smtp_url: str | None = None
    mail_from: str = ""
    smtp_timeout: float = 10.0
    # DNS for `admin check-email-domains` (README "Lapsed e-mail domains"): comma-separated
    # resolvers ("IP" or "IP:port", "[IPv6]:port"; default those of /etc/resolv.conf), seconds
    # each query may take, and comma-separated canary domains that must receive mail, or the
    # resolver is not trusted; the share of the domains checked (at least one) that one run may
    # find lapsed and un-verify the addresses of without --force.
    dns_servers: str | None = None
    dns_timeout: float = 5.0
    dns_canaries: str = "gmail.com,outlook.com,yahoo.com"
    lapsed_domains_ceiling: float = 0.2
    # Have I Been Pwned's SHA-1 file, sorted by hash: new passwords found in it are refused
    # (README "Passwords"). None: no breach check.
    breached_passwords: Path | None = None
    # Accounts (README "Accounts"): whether anyone may register (a private index usually
    # invites instead), the name pages show, and attempts allowed in the ``limits`` notation:
    # failed logins per address and per user name; mails asked for (registration, reset,
    # verification) per address and per recipient; second-factor codes per user.
    registration: bool = True
    index_name: str = "Strongroom"
    login_rate: str = "10/5minutes"
    account_mail_rate: str = "10/hour"
    two_factor_rate: str = "5/5minutes;20/hour"
    # Who must have a second factor (README "Two-factor policy").
    two_factor_required: TwoFactorRequired = TwoFactorRequired.NOBODY
    # Days the maintainers of a project that became critical have to set up a second factor
    # before a policy that requires one refuses their tokens for it (README "Critical projects").
    critical_grace: float = 30.0
    # The Sigstore trusted root (a trusted_root.json) that uploads' PEP 740 attestations must
    # chain to; None: the production root sigstore ships (README "Attestations").
    attestation_trusted_root: Path | None = None
    # Trusted publishing (README "Trusted publishing"): whether CI workflows may exchange an
    # OIDC token for a 15-minute upload token; the audience their tokens must name (empty: the
    # host name of public_base_url); the issuers trusted, comma-separated, per kind of CI (an
    # empty value turns a kind off; several GitHub Enterprise or self-managed GitLab issuers
    # may be listed), and other issuers as "Name=URL"; seconds a fetch of an issuer's keys may
    # take; days a pending publisher waits for its first use.
    trusted_publishing: bool = True
    oidc_audience: str = ""
    oidc_github_issuers: str = "https://token.actions.githubusercontent.com"
    oidc_gitlab_issuers: str = "https://gitlab.com"
    oidc_google_issuers: str = "https://accounts.google.com"
    oidc_other_issuers: str = ""
    oidc_timeout: float = 5.0
    pending_publisher_days: float = 30.0
    # The push feed of vulnerability reports, POST /_/vulnerabilities/osv/report (README
    # "Vulnerabilities: importing advisories"): the keys whose signatures it accepts (key
    # identifier -> PEM public key; a TOML table, or a JSON object in the environment), and
    # the users, comma-separated, whose API tokens may push instead. Neither: no endpoint.
    vulnerability_report_keys: tuple[tuple[str, str], ...] = ()
    vulnerability_reporters: str = ""

    @property
    def report_keys(self) -> dict[str, str]:
        """``vulnerability_report_keys`` as a mapping of key identifier to PEM text."""
        return dict(self.vulnerability_report_keys)

    @property
    def reporters(self) -> frozenset[str]:
        """The user names ``vulnerability_reporters`` lists."""
        return frozenset(name.strip() for name in self.vulnerability_reporters.split(",")
                         if name.strip())

    @property
    def critical_grace_period(self) -> dt.timedelta:
        """``critical_grace`` as a duration."""
        return dt.timedelta(days=self.critical_grace)

    @property
    def audience(self) -> str:
        """The audience OIDC tokens for trusted publishing must name: ``oidc_audience``, else
        the host name of ``public_base_url`` (an index's own word, so that a token minted for
        one index is refused by every other, PyPI's "pypi" included)."""
        return self.oidc_audience or urlsplit(self.public_base_url).hostname or "localhost"

    @property
    def pending_publisher_lifetime(self) -> dt.timedelta:
        """``pending_publisher_days`` as a duration."""
        return dt.timedelta(days=self.pending_publisher_days)

    @property
    def limits(self) -> Limits:
        """The index's default upload limits (a project's own: ``Limits.for_project``)."""
        return Limits(max_file_size=self.max_file_size, max_project_size=self.max_project_size)

    @property
    def connection_limits(self) -> ConnectionLimits:
        """The limits the HTTP server applies to each client connection."""
        return ConnectionLimits(**{f.name: getattr(self, f.name) for f in fields(ConnectionLimits)})

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to SQLite inside the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'strongroom.sqlite3').resolve()}"

    @property
    def public_base_url(self) -> str:
        """Where clients reach this index (no trailing slash), for absolute URLs in documents:
        ``base_url`` when set, else the address ``strongroom serve`` listens on (a wildcard
        address names this machine by its host name)."""
        if self.base_url:
            return self.base_url.rstrip("/")
        host = socket.getfqdn() if self.host in _WILDCARD_HOSTS else self.host
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    @property
    def mail_sender(self) -> str:
        """The From address of Strongroom's mail: ``mail_from`` when set, else ``strongroom@``
        the host of ``public_base_url`` (an IPv6 address as an address literal)."""
        if self.mail_from:
            return self.mail_from
        host = urlsplit(self.public_base_url).hostname or "localhost"
        return f"strongroom@[IPv6:{host}]" if ":" in host else f"strongroom@{host}"

    @property
    def resolved_storage_path(self) -> Path:
        """The directory of the local blob store."""
        if self.storage_url:
            if not self.storage_url.startswith("file://"):
                raise InvalidInput(
                    f"STRONGROOM_STORAGE_URL {self.storage_url!r} has no local path: only "
                    "file:// URLs do"
                )
            return Path(self.storage_url.removeprefix("file://"))
        return self.data_dir / "files"


    @property
    def s3_location(self) -> tuple[str, str] | None:
        """(bucket, key prefix) when the storage URL is ``s3://bucket[/prefix]``, else None."""
        if not self.storage_url or not self.storage_url.startswith("s3://"):
            return None
        bucket, _, prefix = self.storage_url.removeprefix("s3://").partition("/")
        if not bucket:
            raise InvalidInput(f"STRONGROOM_STORAGE_URL {self.storage_url!r}: no bucket named")
        prefix = prefix.strip("/")
        return bucket, f"{prefix}/" if prefix else ""

    @property
    def purge_targets(self) -> list[str]:
        """The caching proxies' base URLs, without trailing slashes."""
        return [u.strip().rstrip("/") for u in (self.purge_urls or "").split(",") if u.strip()]

    @property
    def dns_canary_domains(self) -> list[str]:
        """The domains ``dns_canaries`` names (``load_settings`` makes sure there is one)."""
        return [name.strip() for name in self.dns_canaries.split(",") if name.strip()]

    @property
    def dns_nameservers(self) -> list[tuple[str, int]]:
        """The resolvers ``dns_servers`` names, as (IP address, port); empty when it names none
        (then the system's, from /etc/resolv.conf). Raises InvalidInput on a malformed entry."""
        return parse_dns_servers(self.dns_servers or "")


_ENV = {
    "STRONGROOM_DATA_DIR": "data_dir",
    "STRONGROOM_DATABASE_URL": "database_url",
    "STRONGROOM_STORAGE_URL": "storage_url",
    "STRONGROOM_BASE_URL": "base_url",
    "STRONGROOM_REDIS_URL": "redis_url",
    "STRONGROOM_REDIS_PREFIX": "redis_prefix",
    "STRONGROOM_S3_ENDPOINT_URL": "s3_endpoint_url",
    "STRONGROOM_S3_REGION": "s3_region",
    "STRONGROOM_PURGE_URLS": "purge_urls",
    "STRONGROOM_PURGE_METHOD": "purge_method",
    "STRONGROOM_UPLOAD_RATE": "upload_rate",
    "STRONGROOM_AUTH_FAILURE_RATE": "auth_failure_rate",
    "STRONGROOM_READ_AUTH_FAILURE_RATE": "read_auth_failure_rate",
    "STRONGROOM_MINT_FAILURE_RATE": "mint_failure_rate",
    "STRONGROOM_README_TIMEOUT": "readme_timeout",
    "STRONGROOM_KEEP_ALIVE_TIMEOUT": "keep_alive_timeout",
    "STRONGROOM_HEAD_TIMEOUT": "head_timeout",
    "STRONGROOM_BODY_TIMEOUT": "body_timeout",
    "STRONGROOM_MIN_BODY_RATE": "min_body_rate",
    "STRONGROOM_SEND_TIMEOUT": "send_timeout",
    "STRONGROOM_MAX_CONNECTIONS": "max_connections",
    "STRONGROOM_MAX_REQUEST_LINE": "max_request_line",
    "STRONGROOM_MAX_HEADER_BYTES": "max_header_bytes",
    "STRONGROOM_MAX_FILE_SIZE": "max_file_size",
    "STRONGROOM_MAX_PROJECT_SIZE": "max_project_size",
    "STRONGROOM_PRIVATE": "private",
    "STRONGROOM_SMTP_URL": "smtp_url",
    "STRONGROOM_MAIL_FROM": "mail_from",
    "STRONGROOM_SMTP_TIMEOUT": "smtp_timeout",
    "STRONGROOM_DNS_SERVERS": "dns_servers",
    "STRONGROOM_DNS_TIMEOUT": "dns_timeout",
    "STRONGROOM_DNS_CANARIES": "dns_canaries",
    "STRONGROOM_LAPSED_DOMAINS_CEILING": "lapsed_domains_ceiling",
    "STRONGROOM_BREACHED_PASSWORDS": "breached_passwords",
    "STRONGROOM_REGISTRATION": "registration",
    "STRONGROOM_INDEX_NAME": "index_name",
    "STRONGROOM_LOGIN_RATE": "login_rate",
    "STRONGROOM_ACCOUNT_MAIL_RATE": "account_mail_rate",
    "STRONGROOM_TWO_FACTOR_RATE": "two_factor_rate",
    "STRONGROOM_TWO_FACTOR_REQUIRED": "two_factor_required",
    "STRONGROOM_CRITICAL_GRACE": "critical_grace",
    "STRONGROOM_ATTESTATION_TRUSTED_ROOT": "attestation_trusted_root",
    "STRONGROOM_TRUSTED_PUBLISHING": "trusted_publishing",
    "STRONGROOM_OIDC_AUDIENCE": "oidc_audience",
    "STRONGROOM_OIDC_GITHUB_ISSUERS": "oidc_github_issuers",
    "STRONGROOM_OIDC_GITLAB_ISSUERS": "oidc_gitlab_issuers",
    "STRONGROOM_OIDC_GOOGLE_ISSUERS": "oidc_google_issuers",
    "STRONGROOM_OIDC_OTHER_ISSUERS": "oidc_other_issuers",
    "STRONGROOM_OIDC_TIMEOUT": "oidc_timeout",
    "STRONGROOM_PENDING_PUBLISHER_DAYS": "pending_publisher_days",
    "STRONGROOM_VULNERABILITY_REPORT_KEYS": "vulnerability_report_keys",
    "STRONGROOM_VULNERABILITY_REPORTERS": "vulnerability_reporters",
}
_VARIABLES = {key: variable for variable, key in _ENV.items()}
# Settings that are positive numbers: fractions allowed (seconds, bytes/s) or whole (counts).
_POSITIVE_REALS = ("readme_timeout", "keep_alive_timeout", "head_timeout", "body_timeout",
                   "min_body_rate", "send_timeout", "smtp_timeout", "critical_grace",
                   "dns_timeout", "oidc_timeout", "pending_publisher_days")
_POSITIVE_WHOLES = ("port", "max_connections", "max_request_line", "max_header_bytes")
# Settings that are sizes in bytes, written as whole numbers or with a unit ("2GiB").
_SIZES = ("max_file_size", "max_project_size")
_BOOLEANS = ("private", "registration", "trusted_publishing")
_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})


def _boolean(key: str, value: object) -> bool:
    """``value`` (a TOML boolean, or text from the environment) as a boolean; InvalidInput names
    the setting, its environment variable and the value."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    variable = f" ({_VARIABLES[key]})" if key in _VARIABLES else ""
    raise InvalidInput(f"setting {key}{variable}: {value!r} is not true or false")


def _positive(key: str, value: object, *, whole: bool) -> float | int:
    """``value`` (from the TOML file, or a string from the environment) as a positive number.

    Raises InvalidInput naming the setting, its environment variable and the value.
    """
    number: float | int | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        try:
            number = int(value) if whole else float(value)
        except ValueError:
            number = None
    if whole and isinstance(number, float):
        number = None
    if number is None or not math.isfinite(number) or number <= 0:
        kind = "a positive whole number" if whole else "a positive number"
        variable = f" ({_VARIABLES[key]})" if key in _VARIABLES else ""
        raise InvalidInput(f"setting {key}{variable}: {value!r} is not {kind}")
    return number


def load_settings(
    config_file: Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, object] | None = None,
) -> Settings:
    """Build settings from an optional TOML file, the environment and explicit overrides.

    Raises InvalidInput when the file cannot be read or names an unknown setting, or when a
    setting that must be a positive number is not one.
    """
    values = _from_file(config_file) if config_file is not None else {}
    env = os.environ if environ is None else environ
    for variable, key in _ENV.items():
        if env.get(variable):
            values[key] = env[variable]
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    _convert(values)
    return replace(Settings(), **values)  # type: ignore[arg-type]


def _from_file(config_file: Path) -> dict[str, object]:
    """The settings of a TOML file (its ``[strongroom]`` table, or its top level)."""
    try:
        document = tomllib.loads(config_file.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInput(f"config file {config_file}: {exc}") from exc
    section = document.get("strongroom", document)
    known = set(Settings.__dataclass_fields__)
    for key in section:
        if key not in known:
            raise InvalidInput(f"config file {config_file}: unknown setting {key!r}")
    return dict(section)


def _convert(values: dict[str, object]) -> None:
    """Give the values read as text their types, checking them; InvalidInput names a bad one."""
    for key in ("data_dir", "breached_passwords", "attestation_trusted_root"):
        if key in values:
            values[key] = Path(str(values[key]))
    if values.get("base_url"):
        values["base_url"] = _base_url(str(values["base_url"]))
    for key in _POSITIVE_REALS:
        if key in values:
            values[key] = float(_positive(key, values[key], whole=False))
    for key in _POSITIVE_WHOLES:
        if key in values:
            values[key] = _positive(key, values[key], whole=True)
    for key in _SIZES:
        if key in values:
            values[key] = _size(key, values[key])
    for key in _BOOLEANS:
        if key in values:
            values[key] = _boolean(key, values[key])
    _convert_email_domains(values)
    _convert_policies(values)
    if "vulnerability_report_keys" in values:
        values["vulnerability_report_keys"] = _report_keys(values["vulnerability_report_keys"])


def _convert_email_domains(values: dict[str, object]) -> None:
    """The settings of `admin check-email-domains`, checked (a bad one stops it early)."""
    if values.get("dns_servers"):
        parse_dns_servers(str(values["dns_servers"]))
    if "dns_canaries" in values:
        values["dns_canaries"] = _canaries(values["dns_canaries"])
    if "lapsed_domains_ceiling" in values:
        values["lapsed_domains_ceiling"] = _share("lapsed_domains_ceiling",
                                                  values["lapsed_domains_ceiling"])


def _convert_policies(values: dict[str, object]) -> None:
    """The settings that name one of a few policies, as their enumerations."""
    if "two_factor_required" in values:
        values["two_factor_required"] = parse_two_factor_required(values["two_factor_required"])


def parse_two_factor_required(value: object) -> TwoFactorRequired:
    """The ``two_factor_required`` setting from ``value`` (case and spaces aside). Raises
    InvalidInput naming the setting, its environment variable, the value and the choices."""
    text = value.strip().lower() if isinstance(value, str) else ""
    if text in TwoFactorRequired.__members__.values():
        return TwoFactorRequired(text)
    choices = ", ".join(TwoFactorRequired)
    raise InvalidInput(f"setting two_factor_required (STRONGROOM_TWO_FACTOR_REQUIRED): {value!r} "
                       f"is not one of {choices}")


def _report_keys(value: object) -> tuple[tuple[str, str], ...]:
    """``vulnerability_report_keys`` (a TOML table, or a JSON object from the environment) as
    (identifier, PEM) pairs; InvalidInput names the setting when it is not such a mapping.
    Whether each PEM is a usable key is checked where the endpoint is made."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = None
    elif isinstance(value, tuple):  # already pairs (settings made from settings)
        value = dict(value)
    if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and k and isinstance(v, str) for k, v in value.items()):
        raise InvalidInput("setting vulnerability_report_keys "
                           "(STRONGROOM_VULNERABILITY_REPORT_KEYS): must map each key "
                           "identifier to a PEM public key (a JSON object in the environment)")
    return tuple(sorted(value.items()))


def _size(key: str, value: object) -> int:
    """``value`` (a whole number of bytes, or text ``parse_size`` reads) as bytes; InvalidInput
    names the setting, its environment variable and the value."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    try:
        if isinstance(value, str):
            return parse_size(value)
    except ValueError:
        pass
    raise InvalidInput(f"setting {key} ({_VARIABLES[key]}): {value!r} is not a positive size "
                       "in bytes, such as 104857600, \"100MiB\" or \"2GiB\"")


def parse_share(text: str) -> float:
    """A share from ``text``: a percentage (``20%``) or a fraction (``0.2``), more than 0 and
    at most 1. Raises ValueError otherwise."""
    value = text.strip()
    share = float(value[:-1]) / 100 if value.endswith("%") else float(value)
    if not 0 < share <= 1:
        raise ValueError(f"{text!r} is not more than 0% and at most 100%")
    return share


def _share(key: str, value: object) -> float:
    """``value`` (a TOML number, or text ``parse_share`` reads) as a share; InvalidInput names
    the setting, its environment variable and the value."""
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return parse_share(str(value))
        if isinstance(value, str):
            return parse_share(value)
    except ValueError:
        pass
    raise InvalidInput(f"setting {key} ({_VARIABLES[key]}): {value!r} is not a share such as "
                       "20% or 0.2 (more than 0, at most 100%)")


def _canaries(value: object) -> str:
    """``dns_canaries`` (comma-separated text, or a TOML list of names) as comma-separated
    text naming at least one domain; InvalidInput otherwise."""
    names = value if isinstance(value, list) else str(value).split(",")
    text = ",".join(str(name).strip() for name in names if str(name).strip())
    if not text:
        raise InvalidInput("setting dns_canaries (STRONGROOM_DNS_CANARIES): name at least one "
                           "domain that receives mail, such as gmail.com: without one the "
                           "resolver cannot be trusted to judge e-mail domains")
    return text


def parse_dns_servers(text: str) -> list[tuple[str, int]]:
    """The comma-separated resolvers in ``text`` as (IP address, port): ``192.0.2.53``,
    ``192.0.2.53:5353``, ``2001:db8::53`` or ``[2001:db8::53]:5353`` (port 53 unless given).
    Raises InvalidInput naming the entry: a resolver is given by address, since it is what
    would turn a name into one."""
    servers = []
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        host, port = entry, "53"
        if entry.startswith("["):  # [IPv6]:port
            host, _, rest = entry[1:].partition("]")
            port = rest[1:] if rest.startswith(":") else rest or "53"
        elif entry.count(":") == 1:  # IPv4:port (a bare IPv6 address has several colons)
            host, _, port = entry.partition(":")
        try:
            server = (str(ipaddress.ip_address(host)), int(port))
        except ValueError:
            server = ("", 0)
        if not 0 < server[1] < 65536:
            raise InvalidInput(f"setting dns_servers (STRONGROOM_DNS_SERVERS): {entry!r} is not "
                               "an IP address with an optional port, such as 192.0.2.53, "
                               "192.0.2.53:5353 or [2001:db8::53]:5353")
        servers.append(server)
    return servers


def _base_url(value: str) -> str:
    """``value`` if it is an http(s) URL without query or fragment, else InvalidInput."""
    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    if (parts is None or parts.scheme not in ("http", "https") or not parts.netloc
            or parts.query or parts.fragment or not value.isprintable()
            or any(c.isspace() for c in value)):
        raise InvalidInput(f"setting base_url: {value!r} is not an http(s) URL such as "
                           "'https://pypi.example.org' (no query or fragment)")
    return value

