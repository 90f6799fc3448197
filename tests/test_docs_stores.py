"""docs/stores.md is generated from the store profiles (sigkit/stores.py) and kept current."""

from __future__ import annotations

from pathlib import Path

from sigkit import stores

REPO = Path(__file__).resolve().parent.parent
REGENERATE = ".venv/bin/python -m sigkit.stores > docs/stores.md"


def test_docs_stores_md_is_generated_from_the_profiles() -> None:
    page = (REPO / "docs" / "stores.md").read_text(encoding="utf-8")
    assert page == stores.markdown(), f"docs/stores.md is stale; re-run: {REGENERATE}"


def test_every_store_has_its_section_with_its_refusals_and_sources() -> None:
    page = stores.markdown()
    for store in stores.STORES:
        assert page.count(f"\n## {store.name}\n") == 1, store.name
        section = page.split(f"\n## {store.name}\n", 1)[1].split("\n## ", 1)[0]
        for cause, refusal in store.refusals.items():
            assert f"(causes.md#{cause})" in section
            assert refusal.source in section
            if refusal.message:
                assert refusal.message in section
        for url in store.sources.values():
            assert url in section
