"""Lambda's START / END / REPORT lines."""

from __future__ import annotations

from tollway.functions import report


def test_start_and_end() -> None:
    assert report.start("r1", "$LATEST") == "START RequestId: r1 Version: $LATEST\n"
    assert report.end("r1") == "END RequestId: r1\n"


def test_warm_report_has_a_trailing_tab_and_no_init() -> None:
    line = report.report(
        "r1", duration_ms=26.731, memory_size=128, max_memory_used_mb=75, init_ms=None, failure=None
    )
    assert line == (
        "REPORT RequestId: r1\tDuration: 26.73 ms\tBilled Duration: 27 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 75 MB\t\n"
    )


def test_cold_report_bills_init_too() -> None:
    line = report.report(
        "r1",
        duration_ms=3000.0,
        memory_size=128,
        max_memory_used_mb=73,
        init_ms=402.04,
        failure="timeout",
    )
    assert line == (
        "REPORT RequestId: r1\tDuration: 3000.00 ms\tBilled Duration: 3403 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 73 MB\tInit Duration: 402.04 ms\t"
        "Status: timeout\n"
    )


def test_error_report_and_a_minimum_of_one_billed_ms() -> None:
    line = report.report(
        "r1",
        duration_ms=0.2,
        memory_size=256,
        max_memory_used_mb=256,
        init_ms=None,
        failure="Runtime.OutOfMemory",
    )
    assert "\tBilled Duration: 1 ms\t" in line
    assert line.endswith("\tStatus: error\tError Type: Runtime.OutOfMemory\n")


def test_exit_line() -> None:
    assert report.exit_line(
        "r1", "Runtime exited with error: exit status 1", "Runtime.ExitError"
    ) == ("RequestId: r1 Error: Runtime exited with error: exit status 1\nRuntime.ExitError\n")
