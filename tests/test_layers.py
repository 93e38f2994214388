"""The shape of the code: the bottom floor imports nothing above it, the app only the engine's surface,
and the `[n]` marker pattern is written once."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# what the desktop app may use: the engine's surface and the records and helpers it hands out
UI_MAY_IMPORT = {"assistant.engine", "assistant.chats", "assistant.collections", "assistant.errors",
                 "assistant.settings", "assistant.types", "assistant.markers", "assistant.evidence", "assistant.keys",
                 "assistant.cpu"}


def imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            if node.module in ("assistant", "indexers", "ui"):  # from assistant import models
                out.update(f"{node.module}.{a.name}" for a in node.names)
            else:
                out.add(node.module)
    return out


def ours(names: set[str]) -> set[str]:
    return {n for n in names if n.split(".")[0] in ("assistant", "indexers", "ui")}


def test_indexers_are_the_bottom_floor():
    for path in (ROOT / "indexers").glob("*.py"):
        assert all(n.startswith("indexers") for n in ours(imports(path))), path.name


def test_the_core_never_imports_the_app():
    for path in (ROOT / "assistant").rglob("*.py"):
        assert not any(n.startswith("ui") for n in ours(imports(path))), path.name


def test_the_app_uses_the_engines_public_surface_only():
    for path in (ROOT / "ui").glob("*.py"):
        inner = {n for n in ours(imports(path)) if not n.startswith("ui")}
        assert inner <= UI_MAY_IMPORT, (path.name, inner - UI_MAY_IMPORT)


def test_the_marker_pattern_is_written_once():
    pattern = r"\d+(?:\s*[,;]\s*\d+)*"
    places = [p for folder in ("assistant", "ui", "indexers") for p in (ROOT / folder).rglob("*.py")
              if pattern in p.read_text(encoding="utf-8")]
    assert [p.relative_to(ROOT).as_posix() for p in places] == ["assistant/markers.py"]
    assert re.search(pattern, "[1, 2]")
