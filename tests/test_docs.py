"""The README is the front door: every relative link in it, ARCHITECTURE.md and docs/ resolves
(to a file of the repository, and to a heading of it when the link names one)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", ROOT / "ARCHITECTURE.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def anchors(page: Path) -> set[str]:
    """GitHub's anchors of a page's headings (code blocks left out)."""
    found, in_code = set(), False
    for line in page.read_text().splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            found.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return found


def test_every_relative_link_of_the_docs_resolves():
    checked = 0
    for page in PAGES:
        assert page.exists(), page
        for target in LINK.findall(page.read_text()):
            if re.match(r"[a-z]+:", target):
                continue  # http(s), mailto: not ours to check offline
            path, _, anchor = target.partition("#")
            resolved = (page.parent / path).resolve() if path else page
            assert resolved.exists(), f"{page.relative_to(ROOT)}: {target} does not exist"
            assert ROOT in resolved.parents or resolved == ROOT, f"{page.relative_to(ROOT)}: {target} leaves the repo"
            if anchor:
                assert anchor in anchors(resolved), f"{page.relative_to(ROOT)}: no heading '#{anchor}' in {path}"
            checked += 1
    assert checked >= 10  # the README links every page of docs/ and the architecture


def test_the_readme_stays_a_front_door():
    readme = (ROOT / "README.md").read_text()
    assert "make local" in readme and "make test" in readme
    assert len(readme.splitlines()) < 200
    for page in (ROOT / "docs").glob("*.md"):
        assert f"(docs/{page.name})" in readme, f"the README does not link docs/{page.name}"


def test_the_readmes_webhook_check_accepts_our_signatures_and_refuses_others():
    import re
    import time

    from algocloud.domain.webhooks import signature

    readme = (ROOT / "README.md").read_text()
    code = next(block for block in re.findall(r"```python\n(.*?)```", readme, re.DOTALL) if "def verified" in block)
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 - the README's own example
    verified = namespace["verified"]
    stamp, body = str(int(time.time())), b'{"type": "scenario.complete"}'
    headers = {"Webhook-Timestamp": stamp, "Webhook-Signature": signature("whsec_s", stamp, body)}
    assert verified("whsec_s", headers, body)
    assert not verified("whsec_other", headers, body)
    assert not verified("whsec_s", headers, body + b" ")
    old = str(int(time.time()) - 600)
    assert not verified(
        "whsec_s", {**headers, "Webhook-Timestamp": old, "Webhook-Signature": signature("whsec_s", old, body)}, body
    )
