"""The layering rules of ARCHITECTURE.md, checked on the source: every module imports, the domain
and the use cases import no infrastructure, only the factory (and each adapter package itself)
names a concrete adapter, the API Lambda carries no local-only routes, and no import circles."""

import ast
import importlib
import pkgutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROOTS = {
    "algocloud": ROOT / "shared/algocloud",
    "api": ROOT / "functions/api/api",
    "worker": ROOT / "functions/worker/worker",
    "devstack": ROOT / "devstack",
}
ADAPTERS = ROOT / "shared/algocloud/adapters"
NOT_ADAPTERS = {"factory.py", "settings.py", "__init__.py"}  # the one chooser, and what it reads


def _is_error(node: ast.ClassDef) -> bool:
    """An exception an adapter raises (callers may catch it by name), not an adapter."""
    return any(isinstance(b, ast.Name) and b.id.endswith(("Exception", "Error")) for b in node.bases)


def concrete_adapters() -> set[str]:
    """Every public class the adapter packages define (found, not listed: a new one is covered)."""
    found = set()
    for path in ADAPTERS.rglob("*.py"):
        if path.name in NOT_ADAPTERS and path.parent == ADAPTERS:
            continue
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_") and not _is_error(node):
                found.add(node.name)
    return found


def modules() -> dict[str, Path]:
    found = {}
    for package, folder in ROOTS.items():
        for path in folder.rglob("*.py"):
            parts = path.relative_to(folder).with_suffix("").parts
            name = ".".join((package, *parts)).removesuffix(".__init__")
            found[name] = path
    return found


def imports_of(name: str, path: Path) -> set[str]:
    """Every module `name` imports, at module level or inside functions."""
    found = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def test_every_module_imports():
    for name in modules():
        if name not in (
            "api.handler",
            "worker.handler",
            "worker.reconciler",
            "worker.webhooks",
            "devstack.__main__",
        ):  # from the environment
            importlib.import_module(name)


def test_the_core_imports_no_infrastructure():
    for name, path in modules().items():
        if name.startswith(("algocloud.domain", "algocloud.usecases", "algocloud.execution")):
            outside = {
                m
                for m in imports_of(name, path)
                if m.split(".")[0] in ("boto3", "botocore", "fastapi", "mangum", "starlette")
            }
            assert not outside, f"{name} imports {outside}"
            assert not any(m.startswith(("algocloud.adapters", "api", "devstack")) for m in imports_of(name, path)), (
                name
            )


def test_only_the_factory_names_concrete_adapters():
    concrete = concrete_adapters()
    assert {"DynamoScenarios", "SqliteScenarios", "HttpWebhookSender", "SqliteQueue"} <= concrete
    for name, path in modules().items():
        if name.startswith("algocloud.adapters.") and name != "algocloud.adapters.factory":
            continue  # an adapter package names its own classes
        tree = ast.parse(path.read_text())
        named = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | {
            alias.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for alias in n.names
        }
        if name == "algocloud.adapters.factory":
            continue
        assert not named & concrete, f"{name} names {named & concrete}"


def test_the_api_lambda_carries_no_local_storage_routes():
    assert not list((ROOT / "functions").rglob("local_*.py"))
    for path in (ROOT / "functions").rglob("*.py"):
        assert "BLOB_ROUTE" not in path.read_text() and "devstack" not in path.read_text(), path


def test_no_import_circles():
    known = modules()
    graph = {name: {m for m in imports_of(name, path) if m in known and m != name} for name, path in known.items()}
    visiting, done, circles = [], set(), []

    def visit(node):
        if node in done:
            return
        if node in visiting:
            circles.append(visiting[visiting.index(node) :] + [node])
            return
        visiting.append(node)
        for target in sorted(graph[node]):
            visit(target)
        visiting.pop()
        done.add(node)

    for node in sorted(graph):
        visit(node)
    assert not circles, circles


def test_walk_covers_the_packages():
    assert len(modules()) > 80
    names = {info.name for info in pkgutil.walk_packages([str(ROOTS["algocloud"])], "algocloud.")}
    assert {"algocloud.usecases.scenarios", "algocloud.execution.executor", "algocloud.adapters.aws.scenarios"} <= names


def _protocols(path: Path) -> dict[str, int]:
    """The Protocol classes a module defines, with their method counts."""
    counts = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ClassDef) and any(isinstance(b, ast.Name) and b.id == "Protocol" for b in node.bases):
            counts[node.name] = sum(isinstance(item, ast.FunctionDef) for item in node.body)
    return counts


def test_every_port_is_small_and_every_store_has_both_backends():
    domain = ROOT / "shared/algocloud/domain"
    ports = _protocols(domain / "ports.py") | _protocols(domain / "stores.py")
    assert {"SessionStore", "ScenarioStore", "ExperimentStore", "BlobStore", "Accounts"} <= set(ports)
    too_big = {name: count for name, count in ports.items() if count > 12}
    assert not too_big, f"split these ports: {too_big}"
    stores = _protocols(domain / "stores.py")
    for backend in ("aws", "embedded"):
        built = (ADAPTERS / backend / "stores.py").read_text()
        composed = {n.arg for n in ast.walk(ast.parse(built)) if isinstance(n, ast.keyword)}
        assert composed == {"secrets", "sessions", "datasets", "scenarios", "jobs", "experiments"}, backend
    assert len(stores) == 6


GENERATED = {ROOT / "clients/python/algocloud_client/models.py"}  # from the OpenAPI document


def test_no_source_file_is_over_500_lines():
    sources = [p for p in ROOT.glob("*/**/*.py") if not {".venv", ".venv-sam", "build"} & set(p.parts)]
    sources += list((ROOT / "frontend").glob("*.js"))
    long = {
        str(p.relative_to(ROOT)): n
        for p in sources
        if p not in GENERATED and (n := len(p.read_text().splitlines())) > 500
    }
    assert not long, f"split these: {long}"
