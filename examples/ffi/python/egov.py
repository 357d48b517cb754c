"""egov for Python: a ctypes wrapper of the egov C ABI (libegov_ffi.so).

    import egov
    with egov.XrechnungValidator() as validator:
        report = validator.validate(open("invoice.xml", "rb").read())   # dict
        print(report["valid"], report["fatal"])
    model_json = egov.to_json(xml_bytes)               # str: the invoice model
    cii_xml = egov.from_json(model_json, egov.Syntax.CII)

Failures raise EgovError (with .status, .name and .message); findings of a validation are not
failures but the report. The library is found through EGOV_FFI_LIB (a path), else
target/release/libegov_ffi.so of this repository, else the system's library path.
"""

from __future__ import annotations

import ctypes
import enum
import json
import os
import threading
import weakref
from pathlib import Path
from typing import Any, Optional, Union

ABI_VERSION = 1
"""The EGOV_ABI_VERSION this wrapper was written against."""

# Status codes (egov.h); append-only.
OK = 0
NULL_ARGUMENT = 1
INVALID_UTF8 = 2
PANIC = 3
INVALID_ARGUMENT = 4
UNCLASSIFIED = 5
XML_DTD_FORBIDDEN = 1001
XML_TOO_LARGE = 1002
XML_TOO_DEEP = 1003
XML_TOO_MANY_ELEMENTS = 1004
XML_TOO_MANY_ATTRIBUTES = 1005
XML_TEXT_TOO_LONG = 1006
XML_ENCODING = 1007
XML_DUPLICATE_ATTRIBUTE = 1008
XML_UNDECLARED_PREFIX = 1009
XML_MALFORMED = 1010
XRECHNUNG_UNKNOWN_SYNTAX = 3001
XRECHNUNG_INVALID_JSON = 3002


class Syntax(enum.IntEnum):
    """The syntax argument of from_json."""

    UBL = 1
    CII = 2


class EgovBuf(ctypes.Structure):
    """typedef struct EgovBuf { uint8_t *ptr; size_t len; size_t cap; } EgovBuf;"""

    _fields_ = [
        ("ptr", ctypes.POINTER(ctypes.c_uint8)),
        ("len", ctypes.c_size_t),
        ("cap", ctypes.c_size_t),
    ]


class EgovError(Exception):
    """A failed call: the status code, its name (e.g. EGOV_XML_MALFORMED) and the message."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.name = status_name(status)
        self.message = message
        super().__init__(f"{self.name} ({status}): {message}")


def _find_library() -> str:
    explicit = os.environ.get("EGOV_FFI_LIB")
    if explicit:
        return explicit
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "target" / "release" / "libegov_ffi.so"
        if candidate.is_file():
            return str(candidate)
    return "libegov_ffi.so"


lib = ctypes.CDLL(_find_library())
"""The raw library with typed signatures (for tests of the C ABI itself, e.g. NULL arguments)."""

_u8p = ctypes.POINTER(ctypes.c_uint8)
_status = ctypes.c_int32
_sigs = {
    "egov_abi_version": (ctypes.c_uint32, []),
    "egov_version": (ctypes.c_char_p, []),
    "egov_status_name": (ctypes.c_char_p, [ctypes.c_int32]),
    "egov_last_error_message": (ctypes.c_size_t, [ctypes.c_char_p, ctypes.c_size_t]),
    "egov_buf_free": (None, [EgovBuf]),
    "egov_xrechnung_validator_new": (_status, [ctypes.POINTER(ctypes.c_void_p)]),
    "egov_xrechnung_validator_validate": (
        _status,
        [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(EgovBuf)],
    ),
    "egov_xrechnung_validator_free": (None, [ctypes.c_void_p]),
    "egov_xrechnung_to_json": (
        _status,
        [ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(EgovBuf)],
    ),
    "egov_xrechnung_from_json": (
        _status,
        [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int32, ctypes.POINTER(EgovBuf)],
    ),
}
for _name, (_res, _args) in _sigs.items():
    _fn = getattr(lib, _name)
    _fn.restype = _res
    _fn.argtypes = _args

if lib.egov_abi_version() < ABI_VERSION:
    raise ImportError(
        f"libegov_ffi has ABI version {lib.egov_abi_version()}, this wrapper needs {ABI_VERSION}"
    )


def status_name(status: int) -> str:
    """EGOV_OK, EGOV_XML_MALFORMED, … or "unknown"."""
    return lib.egov_status_name(status).decode()


def version() -> str:
    """The library version and the standard versions it implements."""
    return lib.egov_version().decode()


def abi_version() -> int:
    """The ABI version of the loaded library."""
    return lib.egov_abi_version()


def last_error_message() -> str:
    """The message of the last failure on this thread."""
    n = lib.egov_last_error_message(None, 0)
    buf = ctypes.create_string_buffer(n + 1)
    lib.egov_last_error_message(buf, n + 1)
    return buf.value.decode("utf-8", errors="replace")


def _check(status: int) -> None:
    if status != OK:
        raise EgovError(status, last_error_message())


def _take(buf: EgovBuf) -> bytes:
    """Copies a library buffer into Python bytes and frees it."""
    try:
        return ctypes.string_at(buf.ptr, buf.len) if buf.len else b""
    finally:
        lib.egov_buf_free(buf)


Bytes = Union[bytes, bytearray, memoryview]


class XrechnungValidator:
    """The XRechnung 3.0.2 validator. Safe to share between threads. close() it (or use `with`)
    to release it early; otherwise it is released when garbage collected or at exit. close()
    waits for calls still running on other threads."""

    def __init__(self) -> None:
        handle = ctypes.c_void_p()
        _check(lib.egov_xrechnung_validator_new(ctypes.byref(handle)))
        self._handle: Optional[ctypes.c_void_p] = handle
        self._calls = 0
        self._idle = threading.Condition()
        self._finalizer = weakref.finalize(self, lib.egov_xrechnung_validator_free, handle)

    def validate_json(self, xml: Bytes) -> str:
        """The report as JSON text."""
        data = bytes(xml)
        with self._idle:
            handle = self._handle
            if handle is None:
                raise ValueError("validator is closed")
            self._calls += 1
        try:
            out = EgovBuf()
            _check(lib.egov_xrechnung_validator_validate(handle, data, len(data), ctypes.byref(out)))
            return _take(out).decode()
        finally:
            with self._idle:
                self._calls -= 1
                self._idle.notify_all()

    def validate(self, xml: Bytes) -> dict[str, Any]:
        """The report: schema, verdict, valid, scenario, syntax, fatal, warning, information,
        findings, rules_version."""
        return json.loads(self.validate_json(xml))

    @property
    def handle(self) -> Optional[ctypes.c_void_p]:
        """The native handle (for tests of the raw ABI); None once closed."""
        return self._handle

    def close(self) -> None:
        with self._idle:
            self._handle = None
            self._idle.wait_for(lambda: self._calls == 0)
        self._finalizer()  # frees the native validator once

    def __enter__(self) -> "XrechnungValidator":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def to_json(xml: Bytes) -> str:
    """The invoice model of a UBL or CII invoice, as JSON."""
    data = bytes(xml)
    out = EgovBuf()
    _check(lib.egov_xrechnung_to_json(data, len(data), ctypes.byref(out)))
    return _take(out).decode()


def from_json(model: Union[str, Bytes], syntax: Syntax) -> str:
    """The invoice XML (UBL or CII) of a model given as JSON."""
    data = model.encode() if isinstance(model, str) else bytes(model)
    out = EgovBuf()
    _check(lib.egov_xrechnung_from_json(data, len(data), int(syntax), ctypes.byref(out)))
    return _take(out).decode()
