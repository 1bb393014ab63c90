"""The Python runtime shim: the program a warm Lambda worker process runs.

Tollway's counterpart of AWS Lambda's Python runtime (awslambdaric's ``bootstrap``, which
``/var/runtime/bootstrap`` starts): it imports the handler module once (init), then runs one
invocation at a time for as long as the host keeps the worker. Error payloads, the ``context``
object, the root-logger format and the ``[ERROR]`` log lines are awslambdaric's.

Where AWS's runtime polls the Runtime API over HTTP, this one reads length-prefixed frames from
a socket whose fd the host passes as ``argv[1]`` (the worker's stdout and stderr belong to the
function). The host starts it by file path with ``python -P -u``: ``-P`` keeps this directory,
which holds Tollway's own ``host.py`` and ``code.py``, off ``sys.path``; ``-u`` makes output
unbuffered, as AWS's runtime does, so log lines reach the host as they are printed. The code
directory (``argv[2]``, also exported as ``PYTHONPATH``) goes first on ``sys.path`` only after
the imports below, so a function's ``json.py`` cannot break the shim. ``argv[3]`` is ``1`` for
a development directory, whose modules are then always compiled from source.

Standard library only, Python 3.9 syntax (a ``python3.9`` function runs it on that interpreter),
and light: every import here is paid on each cold start. The host
imports this module too, for the frame formats; nothing runs unless it is ``__main__``.

Frames (big-endian). Request: ``REQUEST`` header (payload length, the function's timeout in
ms, request-id length, ARN length), then request id, invoked ARN and payload; the deadline is
counted from when the invocation starts, as requests may be queued in the socket behind the
running one. Response: ``RESPONSE`` header (body length, status, the process's peak resident
memory in KiB so far, the invocation's duration in ms), then the body. The worker sends one
``READY`` response after init and one response per request; after a ``FATAL`` response it
exits. Before each response it flushes the function's output and writes ``OUTPUT_MARK`` to it,
so the host can tell where one invocation's output ends and the next one's begins.

The worker runs under ``SCHED_BATCH`` where Linux has it: a request arriving does not preempt
the server that sent it, so the server finishes its turn of the event loop (and may queue more
requests) before the worker runs. Sharing one core, that halves the context switches per
invocation of a short function.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import os
import resource
import signal
import struct
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any, BinaryIO, NoReturn

try:  # Tollway's interpreter has orjson; another python3.X may not. See _loads.
    import orjson as _orjson

    # The function's own `import orjson` must find its own copy (or none), as on Lambda.
    for _name in [name for name in sys.modules if name.partition(".")[0] == "orjson"]:
        del sys.modules[_name]
except ImportError:
    _orjson = None  # type: ignore[assignment]

REQUEST = struct.Struct("!IdHH")
RESPONSE = struct.Struct("!IBId")
# Written to the output after init's and each invocation's own.
OUTPUT_MARK = b"\x00tollway:end-of-invocation\x00\n"

READY = 0  # init finished (successfully or not); requests may follow
OK = 1  # body is the handler's JSON result
ERROR = 2  # body is a Lambda error object; the worker stays warm
FATAL = 3  # body is Lambda's init error object; the worker exits

_Handler = Callable[[Any, Any], Any]
_FUNCTION = tuple(
    os.environ.get(name)
    for name in (
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
    )
)
_request_id = ""  # the current invocation's, for the log formatter (AWS's _GLOBAL_AWS_REQUEST_ID)


class _Fault(Exception):
    """An error the runtime itself reports (awslambdaric's FaultException)."""

    def __init__(self, error_type: str, message: str, trace: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace or []


class LambdaContext:
    """The handler's ``context`` argument, with the attributes of AWS's LambdaContext."""

    __slots__ = (
        "_deadline_ms",
        "aws_request_id",
        "client_context",
        "function_name",
        "function_version",
        "identity",
        "invoked_function_arn",
        "log_group_name",
        "log_stream_name",
        "memory_limit_in_mb",
    )

    def __init__(self, request_id: str, invoked_arn: str, deadline_ms: float) -> None:
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_arn
        # Read from the environment once, at start, as awslambdaric's bootstrap does;
        # memory_limit_in_mb is a string there too.
        (
            self.function_name,
            self.function_version,
            self.memory_limit_in_mb,
            self.log_group_name,
            self.log_stream_name,
        ) = _FUNCTION
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(int(self._deadline_ms - time.time() * 1000), 0)

    def log(self, msg: object) -> None:
        sys.stdout.write(str(msg))

    def __repr__(self) -> str:
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},"
            f"log_group_name={self.log_group_name},log_stream_name={self.log_stream_name},"
            f"function_name={self.function_name},memory_limit_in_mb={self.memory_limit_in_mb},"
            f"function_version={self.function_version},"
            f"invoked_function_arn={self.invoked_function_arn},"
            f"client_context={self.client_context},identity={self.identity}])"
        )


class _LogHandler(logging.Handler):
    """The root handler AWS installs: Lambda's line format, written to stdout at emit time."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stdout.write(self.format(record))
        except Exception:
            self.handleError(record)


def _add_request_id(record: logging.LogRecord) -> bool:
    record.aws_request_id = _request_id
    return True


def _setup_logging() -> None:
    # As on AWS the root logger gets a handler (so logging.basicConfig() is a no-op) and
    # keeps level WARNING; timestamps are UTC.
    logging.Formatter.converter = time.gmtime
    handler = _LogHandler()
    handler.setFormatter(
        logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
            "%Y-%m-%dT%H:%M:%S",
        )
    )
    handler.addFilter(_add_request_id)
    logging.getLogger().addHandler(handler)


def _load_handler(handler: str) -> _Handler:
    """Import the handler's module and find the function, raising AWS's init faults."""
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as e:
        raise _Fault("Runtime.MalformedHandlerName", f"Bad handler '{handler}': {e}") from None
    if modname.split(".")[0] in sys.builtin_module_names:
        raise _Fault(
            "Runtime.BuiltInModuleConflict",
            f"Cannot use built-in module {modname} as a handler module",
        )
    try:
        module = importlib.import_module(modname.replace("/", "."))
    except ImportError as e:
        raise _Fault(
            "Runtime.ImportModuleError", f"Unable to import module '{modname}': {e}"
        ) from None
    except SyntaxError as e:
        trace = [f'  File "{e.filename}" Line {e.lineno}\n    {e.text}']
        raise _Fault(
            "Runtime.UserCodeSyntaxError", f"Syntax error in module '{modname}': {e}", trace
        ) from None
    try:
        function = getattr(module, fname)
    except AttributeError:
        # Not an init failure on AWS either: every invocation reports it, the worker stays.
        fault = _Fault(
            "Runtime.HandlerNotFound", f"Handler '{fname}' missing on module '{modname}'"
        )

        def missing(event: Any, context: Any) -> NoReturn:
            raise fault

        return missing
    return function  # type: ignore[no-any-return]


def _error(error_type: str, message: str, trace: list[str]) -> dict[str, Any]:
    return {"errorMessage": message, "errorType": error_type, "requestId": "", "stackTrace": trace}


def _exception_error(e: BaseException) -> dict[str, Any]:
    # The user's frames only: drop the leading ones of this file, as AWS drops bootstrap.py's.
    frames = traceback.extract_tb(e.__traceback__)
    while frames and frames[0].filename == __file__:
        del frames[0]
    return _error(type(e).__name__, str(e), traceback.format_list(frames))


def _log_error(error: dict[str, Any]) -> None:
    # awslambdaric's text format. It joins the lines with "\r" and indents with U+00A0 so that
    # CloudWatch keeps one event; plain lines read better in a terminal and a line-based sink.
    description = "[ERROR]"
    if error["errorType"]:
        description += " " + error["errorType"]
    if error["errorMessage"]:
        description += (":" if error["errorType"] else "") + " " + error["errorMessage"]
    lines = [description, "Traceback (most recent call last):"]
    for entry in error["stackTrace"]:
        lines.extend(entry.splitlines() or [""])
    sys.stdout.write("\n".join(lines) + "\n")


def _loads(payload: bytes) -> Any:
    """json.loads, through orjson when this interpreter has it (Tollway's own does): the
    event is parsed on every invocation, and orjson takes a fifth of the time. Anything orjson
    refuses that json accepts (NaN, integers beyond 64 bits, lone surrogates) goes to json, so
    the result is json.loads's."""
    if _orjson is not None:
        try:
            return _orjson.loads(payload)
        except _orjson.JSONDecodeError:
            pass
    return json.loads(payload)


def _default(o: object) -> object:
    # Decimal support without importing decimal on every cold start: an object can only be a
    # Decimal if the function imported the module. AWS writes Decimals as JSON numbers.
    decimal = sys.modules.get("decimal")
    if decimal is not None and isinstance(o, decimal.Decimal):
        return int(o) if o.is_finite() and o == o.to_integral_value() else float(o)
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


_encoder = json.JSONEncoder(separators=(",", ":"), default=_default)


def _invoke(
    init: _Handler | dict[str, Any],
    request_id: str,
    invoked_arn: str,
    deadline_ms: float,
    payload: bytes,
) -> tuple[int, bytes]:
    """Run one invocation; ``init`` is the handler, or the init error to report instead."""
    global _request_id
    _request_id = request_id
    if isinstance(init, dict):
        return FATAL, _encoder.encode({**init, "requestId": request_id}).encode()
    try:
        event = _loads(payload) if payload else {}
    except Exception as e:
        error = _error("Runtime.UnmarshalError", f"Unable to unmarshal input: {e}", [])
    else:
        try:
            result = init(event, LambdaContext(request_id, invoked_arn, deadline_ms))
        except _Fault as fault:
            error = _error(fault.error_type, fault.message, fault.trace)
        except Exception as e:
            error = _exception_error(e)
        else:
            if isinstance(result, bytes):  # awslambdaric passes bytes through unencoded
                return OK, result
            try:
                return OK, _encoder.encode(result).encode()
            except Exception as e:
                error = _error("Runtime.MarshalError", f"Unable to marshal response: {e}", [])
    error["requestId"] = request_id
    _log_error(error)
    return ERROR, _encoder.encode(error).encode()


def _flush() -> None:
    out, err = sys.stdout, sys.stderr
    streams = [out, err]
    # sys.__stdout__/__stderr__ are usually the same objects: each stream is flushed once.
    streams.extend(s for s in (sys.__stdout__, sys.__stderr__) if s is not out and s is not err)
    for stream in streams:
        with contextlib.suppress(Exception):  # the function may have replaced or closed it
            stream.flush()


# ru_maxrss is in KiB on Linux, in bytes on macOS.
_RSS_UNIT = 1024 if sys.platform == "darwin" else 1
_status = -1  # /proc/self/status, kept open: one pread gives VmHWM
_peak = [-1, 0]  # page faults when VmHWM was last read, and what it said


def _peak_memory() -> int:
    """The process's peak resident memory in KiB, as Lambda's "Max Memory Used" counts it.

    VmHWM is this process's own high-water mark. ru_maxrss would be cheaper but Linux carries
    the spawning process's peak over exec into it, so a worker started by a large server would
    report the server's size. Reading VmHWM costs about 4 us, so it is read only when the
    process has taken a page fault since the last reading (getrusage, under 1 us): resident
    memory grows only by faulting pages in, and a short invocation usually faults none.
    """
    if _status >= 0:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        faults = usage.ru_minflt + usage.ru_majflt
        if faults == _peak[0]:
            return _peak[1]
        with contextlib.suppress(OSError, ValueError):
            status = os.pread(_status, 4096, 0)
            start = status.index(b"VmHWM:") + 6
            peak = int(status[start : status.index(b"kB", start)])
            _peak[:] = faults, peak  # counted before reading: a fault since makes a re-read
            return peak
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // _RSS_UNIT)


def _send(fd: int, status: int, body: bytes, duration_ms: float) -> None:
    _flush()
    # The mark follows everything written so far, from Python or not, as a pipe keeps order.
    with contextlib.suppress(OSError):  # the function may have closed or moved its fd 1
        os.write(1, OUTPUT_MARK)
    data = memoryview(RESPONSE.pack(len(body), status, _peak_memory(), duration_ms) + body)
    while data:
        data = data[os.write(fd, data) :]


def _read(stream: BinaryIO, size: int) -> bytes:
    data = stream.read(size)
    if len(data) < size:
        _end()
    return data


def _end() -> NoReturn:
    """Leave as a Lambda sandbox does: with everything the function started."""
    _flush()
    if os.getpgid(0) == os.getpid():  # the host made us a process-group leader
        os.killpg(0, signal.SIGKILL)
    os._exit(0)


def _compile_from_source(directory: str) -> None:
    """Import the modules of a development directory from their source, never from
    ``__pycache__``: a .pyc is trusted when its source's size and modification second match,
    so an edit of the same size saved in the same second as an earlier import would be
    served stale. Nothing is written there either (Lambda's /var/task is read-only)."""
    import importlib.machinery as machinery

    class SourceOnlyLoader(machinery.SourceFileLoader):
        def get_code(self, fullname: str | None) -> Any:
            return compile(self.get_data(self.path), self.path, "exec", dont_inherit=True)

    root = os.path.abspath(directory)
    loaders = [
        (SourceOnlyLoader, machinery.SOURCE_SUFFIXES),
        (machinery.ExtensionFileLoader, machinery.EXTENSION_SUFFIXES),
    ]

    def hook(path: str) -> Any:
        absolute = os.path.abspath(path or ".")
        if absolute != root and not absolute.startswith(root + os.sep):
            raise ImportError("not in the development directory")
        return machinery.FileFinder(path, *loaders)

    sys.path_hooks.insert(0, hook)
    sys.path_importer_cache.clear()


def main() -> None:
    global _status
    if hasattr(os, "sched_setscheduler"):  # see the module docstring
        with contextlib.suppress(OSError):
            os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
    with contextlib.suppress(OSError):
        _status = os.open("/proc/self/status", os.O_RDONLY | os.O_CLOEXEC)
    fd, pythonpath, source_only = int(sys.argv[1]), sys.argv[2], sys.argv[3:4] == ["1"]
    del sys.argv[1:]
    if source_only:
        _compile_from_source(pythonpath.split(os.pathsep)[0])
    os.set_inheritable(fd, False)  # keep the function's child processes off the control socket
    # No core files in the code directory (the function may raise the limit again).
    resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))
    os.environ["PYTHONPATH"] = pythonpath
    sys.path[0:0] = [p for p in pythonpath.split(os.pathsep) if p]
    _setup_logging()

    init: _Handler | dict[str, Any]
    try:
        init = _load_handler(os.environ["_HANDLER"])
    except _Fault as fault:
        init = _error(fault.error_type, fault.message, fault.trace)
    except Exception as e:
        init = _exception_error(e)
    if isinstance(init, dict):
        _log_error(init)
    _send(fd, READY, b"", 0.0)

    with open(fd, "rb", closefd=False) as requests:
        while True:
            size, timeout_ms, id_size, arn_size = REQUEST.unpack(_read(requests, REQUEST.size))
            request_id = _read(requests, id_size).decode()
            invoked_arn = _read(requests, arn_size).decode()
            payload = _read(requests, size)
            started = time.perf_counter()
            deadline_ms = time.time() * 1000 + timeout_ms
            status, body = _invoke(init, request_id, invoked_arn, deadline_ms, payload)
            duration_ms = (time.perf_counter() - started) * 1000
            try:
                _send(fd, status, body, duration_ms)
            except OSError:
                _end()
            if status == FATAL:
                _end()


if __name__ == "__main__":
    main()
