"""`recsim_ng.rl` serves any story: it imports nothing from the layers above `stories/`."""

import ast
import pathlib

import recsim_ng.rl

ABOVE_STORIES = ("recsim_ng.applications", "recsim_ng.fitting", "recsim_ng.cli",
                 "recsim_ng.examples")


def _imported_modules(path: pathlib.Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


def test_no_rl_module_imports_a_layer_above_stories():
    root = pathlib.Path(recsim_ng.rl.__file__).parent
    files = sorted(root.rglob("*.py"))
    assert len(files) > 10  # the package was found
    offending = {str(path.relative_to(root)): sorted(
        module for module in _imported_modules(path) if module.startswith(ABOVE_STORIES))
        for path in files}
    assert {path: modules for path, modules in offending.items() if modules} == {}
