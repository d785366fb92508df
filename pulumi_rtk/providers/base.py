"""What every pulumi_rtk provider shares: settings, the HTTP client, validation, props plumbing.

A provider object is pickled into state and shared by every resource of its kind in a provider
process, on up to four engine threads at once. So it pickles to nothing (settings and the
client are rebuilt from ``configure`` in the provider process, and the token never reaches
state), keeps no per-resource state, and builds its client once under a lock.

The HTTP stack and pydantic are imported on first use, so a Pulumi program that only declares
resources does not pay for them.
"""

from __future__ import annotations

import functools
import inspect
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Final

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    ReadResult,
    ResourceProvider,
)
from pulumi.output import Unknown
from pulumi.runtime import rpc

from pulumi_rtk.config import ProviderSettings, resolve_settings
from pulumi_rtk.errors import (
    ApiError,
    ConfigError,
    CreateOutcomeUnknownError,
    InputError,
    RateLimitError,
    RtkError,
    TransportError,
)

if TYPE_CHECKING:
    from pulumi_rtk.client import RealtimeKitClient, Target
    from pulumi_rtk.models import Checked

__all__ = [
    "MANAGED_KEY",
    "PROVIDER_KEY",
    "TARGET_KEYS",
    "TARGET_OUTPUTS",
    "ProviderBase",
    "changed",
    "check_failure",
    "covers",
    "created_since",
    "declared_keys",
    "normal",
    "parse_time",
    "read_result",
    "unwrap",
]

PROVIDER_KEY: Final = "__provider"
MANAGED_KEY: Final = "managed_fields"
"""The output naming the inputs a program declared: what a refresh hands back as inputs."""
TARGET_KEYS: Final = ("account_id", "app_id")
TARGET_OUTPUTS: Final = (*TARGET_KEYS, "api_base_url")
"""Where an object lives, in every resource's outputs: read and delete go there."""

log = logging.getLogger("pulumi_rtk")

# ReadResult(id, outs, inputs) lets refresh update the stored inputs (pulumi >= 3.216); older
# SDKs take no inputs, and drift still shows because diff compares against the outputs.
_READ_TAKES_INPUTS: Final = "inputs" in inspect.signature(ReadResult.__init__).parameters


def read_result(id_: str, outs: dict[str, Any], inputs: dict[str, Any] | None) -> ReadResult:
    """A ``ReadResult`` carrying refreshed inputs where the installed SDK supports them."""
    if inputs is not None and _READ_TAKES_INPUTS:
        return ReadResult(id_, outs, inputs)  # type: ignore[call-arg,unused-ignore]
    return ReadResult(id_, outs)


def unwrap(value: Any) -> Any:
    """Plain values: drop secret markers (the engine strips them; a harness may not) and turn
    preview's ``Unknown`` objects into the wire sentinel that validation recognises. Every call
    walks the whole props, so the common cases (dicts, scalars) are tested first."""
    if isinstance(value, dict):
        if rpc.is_rpc_secret(value):
            return unwrap(rpc.unwrap_rpc_secret(value))
        return {key: unwrap(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unwrap(item) for item in value]
    if isinstance(value, Unknown):
        return rpc.UNKNOWN
    return value


def normal(value: Any) -> Any:
    """Compare as the API would: unset equals null equals empty, 3600.0 equals 3600."""
    if isinstance(value, dict):
        items = {key: normal(item) for key, item in value.items()}
        kept = {key: item for key, item in items.items() if item is not None}
        return kept or None
    if isinstance(value, list):
        return [normal(item) for item in value]
    return value


def changed(olds: Mapping[str, Any], news: Mapping[str, Any], key: str) -> bool:
    return bool(normal(olds.get(key)) != normal(news.get(key)))


def check_failure(path: str, reason: str) -> CheckFailure:
    """A failure as the engine can show it. The engine prints the value of ``inputs[property]``
    next to the reason (``{[secret]}`` for a secret), looked up at the top level only: for a
    nested path it would show a false ``{<nil>}``. Those failures carry no property and name
    their path in the reason instead."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", path):
        return CheckFailure(path, reason)
    return CheckFailure("", f"{path}: {reason}")


# How far before a create request the API's clock may put the creation and still be that
# request's: the client's and the API's clocks are not the same clock.
CLOCK_SKEW_SECONDS: Final = 120.0


def parse_time(text: object) -> float | None:
    """An API timestamp (ISO 8601, ``Z`` or an offset) as epoch seconds; None if it is not one."""
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def created_since(timestamp: object, sent_at: float) -> bool:
    """Whether an object the API says was created at ``timestamp`` can be a request's sent at
    ``sent_at`` (local clock)."""
    created = parse_time(timestamp)
    return created is not None and created >= sent_at - CLOCK_SKEW_SECONDS


@functools.lru_cache(maxsize=64)
def _target(base_url: str, account_id: str, app_id: str) -> Target:
    """One ``Target`` per place, so its derived URL parts are computed once, not per call."""
    from pulumi_rtk.client import Target  # noqa: PLC0415 (lazy HTTP stack)

    return Target(base_url, account_id, app_id)


def declared_keys(news: Mapping[str, Any], keys: tuple[str, ...]) -> list[str]:
    """The inputs among ``keys`` a program sets: what Pulumi manages."""
    return [key for key in keys if news.get(key) is not None]


def covers(actual: Any, declared: Any) -> bool:
    """Whether ``actual`` has every value ``declared`` sets, at every level: what a program
    leaves out is not managed, so a value the API adds or keeps is no drift."""
    declared = normal(declared)
    if declared is None:
        return True
    actual = normal(actual)
    if isinstance(declared, dict):
        return isinstance(actual, dict) and all(
            covers(actual.get(key), value) for key, value in declared.items()
        )
    return bool(actual == declared)


# The methods the SDK's provider server calls for the engine.
_ENGINE_CALLS: Final = ("check", "diff", "create", "read", "update", "delete")


def _reported(method: Callable[..., Any]) -> Callable[..., Any]:
    """The SDK's server sends the engine the whole traceback of what a call raises, chained
    causes included: some 90 lines of requests and urllib3 frames before the one line that says
    what failed. An ``RtkError`` already says it (cause, host:port, next step), so it goes
    alone; with ``rtk:debug`` on, and for anything else, the whole chain goes."""

    @functools.wraps(method)
    def call(self: ProviderBase, *args: Any) -> Any:
        try:
            return method(self, *args)
        except RtkError as error:
            if self.settings.debug:
                raise
            raise error.with_traceback(None) from None

    call.__reported__ = True  # type: ignore[attr-defined]
    return call


class ProviderBase(ResourceProvider):
    """Settings from ``configure``, one lazy client, validation in ``check``."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in _ENGINE_CALLS:
            method = getattr(cls, name)
            if not getattr(method, "__reported__", False):
                setattr(cls, name, _reported(method))

    # Nothing sensitive is ever pickled, so state need not encrypt a blob per resource.
    serialize_as_secret_always = False
    # The pydantic model of the resource's inputs, named so that pydantic loads on first use.
    inputs_model: ClassVar[str]

    def __init__(self) -> None:
        self._settings: ProviderSettings | None = None
        self._client: RealtimeKitClient | None = None
        self._lock = threading.Lock()
        self._managed: set[str] = set()

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]

    # Configuration and client

    def configure(self, req: ConfigureRequest) -> None:
        settings = resolve_settings(req.config.get)
        with self._lock:
            self._settings = settings
            if self._client is not None:
                self._client.close()
                self._client = None

    @property
    def settings(self) -> ProviderSettings:
        """Stack config when the engine configured us, else the environment alone."""
        if self._settings is None:
            with self._lock:
                if self._settings is None:
                    self._settings = resolve_settings(lambda _key: None)
        return self._settings

    @property
    def client(self) -> RealtimeKitClient:
        client = self._client
        if client is None:
            from pulumi_rtk.client import RealtimeKitClient  # noqa: PLC0415 (lazy HTTP stack)

            with self._lock:
                client = self._client
                if client is None:
                    client = self._client = RealtimeKitClient(self.settings)
        return client

    def target(self, props: Mapping[str, Any]) -> Target:
        """Where an object lives. Outputs keep the ids and endpoint it was created with, so
        config changes cannot move it; inputs carry no endpoint, so a new object goes to the
        configured one. Ids: the resource's own, else config, else environment."""
        settings = self.settings
        account, app = settings.resolve_target_ids(props.get("account_id"), props.get("app_id"))
        return _target(props.get("api_base_url") or settings.api_base_url, account, app)

    @staticmethod
    def target_outputs(target: Target) -> dict[str, str]:
        return dict(
            zip(TARGET_OUTPUTS, (target.account_id, target.app_id, target.base_url), strict=True)
        )

    def note_managed(self, object_id: str) -> None:
        """Remember an object some resource of this deployment owns (seen by create, read or
        diff), so that reconciling a failed create never adopts it as its own."""
        with self._lock:
            self._managed.add(object_id)

    def is_managed(self, object_id: str) -> bool:
        with self._lock:
            return object_id in self._managed

    def create_reconciled(
        self,
        what: str,
        post: Callable[[], dict[str, Any]],
        find: Callable[[float], dict[str, Any] | None],
    ) -> dict[str, Any]:
        """POST once; after a failure that may have acted, ``find(sent_at)`` looks for what the
        request may have created (adopted when found) before the POST is ever repeated. A
        refusal, or a connection never made (urllib3 already retried it), is reported as is."""
        from pulumi_rtk.client import retry_delay  # noqa: PLC0415 (lazy HTTP stack)

        attempts = self.settings.max_retries + 1
        for attempt in range(1, attempts + 1):
            sent_at = time.time()
            try:
                return post()
            except (ApiError, TransportError) as exc:
                throttled = isinstance(exc, RateLimitError)
                if not (exc.may_have_acted or throttled):
                    raise
                if exc.may_have_acted:
                    try:
                        found = find(sent_at)
                    except RtkError as lookup:
                        raise CreateOutcomeUnknownError(
                            f"creating the {what} failed ({exc}) and looking for what the "
                            f"request may have created failed too ({lookup}); run `pulumi up` "
                            f"again: it looks again before it creates"
                        ) from exc
                    if found is not None:
                        log.warning(
                            "pulumi-rtk: creating the %s failed (%s) but %s had been created; "
                            "using it",
                            what,
                            exc,
                            found.get("id"),
                        )
                        return found
                if attempt == attempts:
                    raise
                retry_after = exc.retry_after if isinstance(exc, ApiError) else None
                time.sleep(retry_delay(attempt, retry_after))
        raise AssertionError("unreachable: the loop returns or raises")

    # Validation

    def _model(self) -> type[Checked]:
        from pulumi_rtk import models  # noqa: PLC0415 (pydantic on first use)

        model: type[Checked] = getattr(models, self.inputs_model)
        return model

    def _validate(self, props: Mapping[str, Any]) -> tuple[Checked | None, list[tuple[str, str]]]:
        from pulumi_rtk.models import validate  # noqa: PLC0415 (pydantic on first use)

        data = {k: v for k, v in props.items() if k != PROVIDER_KEY and v is not None}
        return validate(self._model(), data)

    def validated(self, props: Mapping[str, Any]) -> Checked:
        """Validate again before a request: create may be called without check (tests, tools)."""
        parsed, failures = self._validate(props)
        if failures or parsed is None:
            raise InputError(failures or [("(inputs)", "contain values not known yet")])
        return parsed

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate without any request; values unknown during preview pass through."""
        props = unwrap(news)
        failures = [check_failure(path, why) for path, why in self._validate(props)[1]]
        failures += self._config_failures(props)
        return CheckResult(news, failures)

    def _config_failures(self, props: Mapping[str, Any]) -> list[CheckFailure]:
        """Where the object lives, missing from config: found by ``pulumi preview`` rather than
        half way through an ``up``. Ids a program passes as values not known yet pass. The token
        is not asked for: a preview sends no request, so a pull request's preview can run
        without it (examples/gitops)."""
        ids = [props.get(key) for key in TARGET_KEYS]
        if rpc.UNKNOWN in ids:
            return []
        try:
            self.settings.resolve_target_ids(*ids)
        except ConfigError as missing:
            return [CheckFailure("", str(missing))]
        return []

    @staticmethod
    def moved(olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
        """Account or app ids set explicitly to another value: the object is elsewhere."""
        return [
            key for key in TARGET_KEYS if news.get(key) is not None and news[key] != olds.get(key)
        ]
