"""Stage selection (spec §1.1): a named stage by the first segment, else `$default`."""

from __future__ import annotations

from tests.unit.dataplane.http_api.conftest import API_ID, add_route, definition, stage

from tollway.dataplane.endpoint import resolve
from tollway.dataplane.http_api.compiled import HttpApiStages
from tollway.dataplane.http_api.stages import select_stage


def _api(default: bool = True) -> HttpApiStages:
    api = definition()
    add_route(api, "$default")
    return HttpApiStages(
        API_ID, {"dev": stage(api, "dev")}, stage(api, "$default") if default else None
    )


def _select(api: HttpApiStages, path: str) -> tuple[str, str] | None:
    endpoint = resolve(f"{API_ID}.execute-api.localhost", path)
    assert endpoint is not None
    selected = select_stage(api, endpoint)
    return (selected.stage.stage_name, selected.path) if selected else None


def test_a_named_stage_is_selected_by_the_first_segment() -> None:
    assert _select(_api(), "/dev/pets/1") == ("dev", "/pets/1")
    assert _select(_api(), "/dev") == ("dev", "/")


def test_otherwise_the_default_stage_serves_the_whole_path() -> None:
    assert _select(_api(), "/pets/1") == ("$default", "/pets/1")
    assert _select(_api(), "/") == ("$default", "/")
    assert _select(_api(), "/development/x") == ("$default", "/development/x")
    assert _select(_api(), "/$default/x") == ("$default", "/$default/x")


def test_without_a_default_stage_nothing_serves() -> None:
    assert _select(_api(default=False), "/pets/1") is None
    assert _select(_api(default=False), "/dev/pets") == ("dev", "/pets")


def test_path_based_invocation_selects_the_same_way() -> None:
    endpoint = resolve("127.0.0.1:8080", f"/_aws/execute-api/{API_ID}/dev/a")
    assert endpoint is not None
    selected = select_stage(_api(), endpoint)
    assert selected is not None and (selected.stage.stage_name, selected.path) == ("dev", "/a")
