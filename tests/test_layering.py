"""The layers of lgsp, checked on its source: what each package may import, and what a process
loads.

    schemas            imports nothing else of lgsp
    bus, journal       no HTTP (neither aiohttp nor the gateway)
    intake             no HTTP: admission and acceptance are the same for every door
    adapters           never the gateway
    production code    never the simulators nor the demo (``lgsp demo`` loads them, lazily)

The import checks read every ``import`` statement, at module level or inside a function, so a lazy
import does not slip through; the process checks run a real assembly in a fresh interpreter and
read ``sys.modules``.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "lgsp"

HTTP_SERVER = ("aiohttp", "lgsp.gateway")


def _module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, root: Path = ROOT) -> Iterator[tuple[str, int, bool]]:
    """``(module, line, lazy)`` for each import in ``path``: ``lazy`` when inside a function."""
    tree = ast.parse(path.read_text(), filename=str(path))
    name = _module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    functions = [
        node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    inside = {id(n) for f in functions for n in ast.walk(f) if n is not f}
    for node in ast.walk(tree):
        lazy = id(node) in inside
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno, lazy
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            yield module, node.lineno, lazy


def _sources(under: str) -> list[Path]:
    return sorted((PACKAGE / under).rglob("*.py")) if under else sorted(PACKAGE.rglob("*.py"))


def _within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _violations(
    under: str, forbidden: tuple[str, ...], *, allowed: tuple[str, ...] = ()
) -> list[str]:
    found = []
    for path in _sources(under):
        for module, line, _ in _imports(path):
            if _within(module, forbidden) and not _within(module, allowed):
                found.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return found


def test_the_import_reader_sees_lazy_and_relative_imports(tmp_path: Path) -> None:
    # The checks below mean something only if this reader finds every kind of import.
    package = tmp_path / "lgsp" / "sample"
    package.mkdir(parents=True)
    source = package / "mod.py"
    source.write_text(
        "import aiohttp.web\n"
        "from . import sibling\n"
        "def f():\n"
        "    from lgsp.gateway import create_app\n"
    )
    found = list(_imports(source, tmp_path))
    assert ("aiohttp.web", 1, False) in found
    assert ("lgsp.sample", 2, False) in found
    assert ("lgsp.gateway", 4, True) in found


def test_schemas_import_nothing_else_of_lgsp() -> None:
    assert _violations("schemas", ("lgsp",), allowed=("lgsp.schemas",)) == []


@pytest.mark.parametrize("layer", ["bus", "journal", "intake"])
def test_infrastructure_and_intake_know_no_http(layer: str) -> None:
    assert _violations(layer, HTTP_SERVER) == []


def test_adapters_never_import_the_gateway() -> None:
    assert _violations("adapters", ("lgsp.gateway",)) == []


def test_production_code_never_imports_the_simulators_or_the_demo() -> None:
    found = []
    for path in _sources(""):
        name = _module_name(path)
        if _within(name, ("lgsp.simulators", "lgsp.demo")):
            continue
        for module, line, lazy in _imports(path):
            if not _within(module, ("lgsp.simulators", "lgsp.demo")):
                continue
            if name == "lgsp.cli" and module == "lgsp.demo" and lazy:
                continue  # the ``lgsp demo`` command, and only it, loads the demo
            found.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert found == []


_ASSEMBLE = """
import asyncio, json, sys
from contextlib import AsyncExitStack

from lgsp.cli import _AXES
from lgsp.runtime import open_services, start_adapters
from lgsp.settings import Settings

async def main(gateway: bool, directory: str) -> None:
    settings = Settings(
        bus="memory", db_url=f"sqlite:///{directory}/lgsp.db", blob_dir=f"{directory}/blobs",
        http_port=0, metrics_port=0,
    )
    async with open_services(settings) as services, AsyncExitStack() as stack:
        await start_adapters(services, _AXES)
        if gateway:
            from lgsp.gateway.serving import serve_http
            await stack.enter_async_context(serve_http(services, "127.0.0.1", 0))
        else:
            from lgsp.metrics_server import serve_metrics
            await stack.enter_async_context(serve_metrics(services.metrics, "127.0.0.1", 0))
    print(json.dumps(sorted(sys.modules)))

asyncio.run(main(sys.argv[1] == "gateway", sys.argv[2]))
"""


def _loaded(kind: str, tmp_path: Path) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", _ASSEMBLE, kind, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_an_adapter_process_loads_no_web_server_openapi_or_docs(tmp_path: Path) -> None:
    loaded = _loaded("adapters", tmp_path)
    assert "lgsp.adapters.document" in loaded  # the assembly did run
    assert "lgsp.metrics_server" in loaded
    for module in ("aiohttp.web", "lgsp.gateway", "lgsp.gateway.openapi", "lgsp.gateway.docs"):
        assert module not in loaded
    assert not {m for m in loaded if _within(m, ("lgsp.demo", "lgsp.simulators"))}


def test_a_gateway_process_loads_neither_the_demo_nor_the_simulators(tmp_path: Path) -> None:
    loaded = _loaded("gateway", tmp_path)
    assert "lgsp.gateway.openapi" in loaded  # the assembly did run
    assert not {m for m in loaded if _within(m, ("lgsp.demo", "lgsp.simulators"))}
