"""Gap maps in a real browser (Debian's Chromium driven by Playwright)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from carecircle.scripts.cli import main

from mini_district import MiniDistrict, write_mini_study

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HOSTILE = "<img src=x onerror=alert(1)>"
STATIC = Path(__file__).resolve().parents[2] / "maps" / "static"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI: `make test` installs it (Debian chromium)")
        pytest.skip("Debian chromium not installed (make test installs it)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def maps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("browser")
    district = MiniDistrict()
    district.facilities = [*district.facilities,
                           {"id": "X1", "name": HOSTILE, "type": "service_station", "x": 300.0,
                            "y": 700.0, "floor_area_m2": 100, "beds": 0, "nursing_beds": 0}]
    study = write_mini_study(folder / "in", district)
    out = {}
    for mode in ("online", "offline"):
        args = ["-q", "audit", str(study), "--out", str(folder / mode)]
        assert main([*args, "--offline"] if mode == "offline" else args) == 0
        out[mode] = folder / mode / "maps"
    return out


class Visit:
    """Open a map with every network request either served locally or blocked."""

    def __init__(self, browser, path: Path, *, offline: bool) -> None:
        self.errors: list[str] = []
        self.blocked: list[str] = []
        self.dialogs: list[str] = []
        self.page = browser.new_page(viewport={"width": 1200, "height": 800})
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error"
                     else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)
        self.page.route("**/*", lambda route: self._route(route, offline))
        self.page.goto(path.as_uri())
        self.page.wait_for_function("() => window.L !== undefined")
        self.page.wait_for_timeout(300)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _route(self, route, offline: bool) -> None:
        url = route.request.url
        if url.startswith("file://"):
            route.continue_()
        elif offline:
            self.blocked.append(url)
            route.abort()
        elif "leaflet" in url:  # the CDN copies of the libraries we ship
            name = url.rsplit("/", 1)[-1].replace(".min.js", ".min.js")
            local = next(STATIC.rglob(name), None)
            if local is None:
                route.abort()
            else:
                route.fulfill(path=str(local))
        else:  # basemap tiles: an empty image, as if the tile server answered
            route.fulfill(status=200, content_type="image/png", body=PNG)

    def count(self, script: str) -> int:
        return self.page.evaluate(
            "(test) => { const m = Object.values(window).find(v => v instanceof L.Map);"
            " let n = 0; m.eachLayer(l => { if (eval(test)(l)) n++; }); return n; }", script)


def test_street_maps_load_without_errors_and_show_every_feature(browser, maps, tmp_path) -> None:
    # facilities within ~1 km of the street are drawn: all four of the mini district
    for name, communities, facilities in (("W.html", 2, 4), ("E.html", 2, 4)):
        visit = Visit(browser, maps["online"] / name, offline=False)
        assert visit.errors == []
        assert visit.count("l => l instanceof L.CircleMarker") == facilities
        assert visit.count("l => l.feature && (l.feature.properties.html || '')"
                           ".includes('circle share')") == communities
        visit.page.screenshot(path=str(tmp_path / f"{name}.png"))
        assert (tmp_path / f"{name}.png").stat().st_size > 10_000
        visit.page.close()


def test_layer_control_toggles_a_layer(browser, maps) -> None:
    visit = Visit(browser, maps["online"] / "E.html", offline=False)  # E has uncovered cells
    uncovered = "l => l.feature && (l.feature.properties.label || '').startsWith('未覆盖')"
    before = visit.count(uncovered)
    assert before > 0
    visit.page.hover(".leaflet-control-layers")
    label = visit.page.locator(".leaflet-control-layers-overlays label",
                               has_text="未覆盖老年人 Uncovered older residents")
    label.locator("input").click()
    assert visit.count(uncovered) == 0
    label.locator("input").click()
    assert visit.count(uncovered) == before
    visit.page.close()


def test_offline_maps_need_no_network(browser, maps) -> None:
    for name in ("index.html", "W.html", "E_gcj02.html"):
        visit = Visit(browser, maps["offline"] / name, offline=True)
        assert visit.blocked == []
        assert visit.errors == []
        assert visit.count("l => l instanceof L.Path") > 0
        visit.page.close()


def test_html_in_a_facility_name_is_shown_as_text(browser, maps) -> None:
    visit = Visit(browser, maps["online"] / "W.html", offline=False)
    texts = visit.page.evaluate(
        "() => { const m = Object.values(window).find(v => v instanceof L.Map); const out = [];"
        " m.eachLayer(l => { if (l.getPopup && l.getPopup()) { l.openPopup();"
        " const c = l.getPopup().getContent();"
        " out.push(typeof c === 'string' ? c : c.textContent); } }); return out; }")
    visit.page.wait_for_timeout(300)
    assert visit.dialogs == []
    assert any(HOSTILE in (t or "") for t in texts), texts
    assert visit.page.locator("img[src='x']").count() == 0
    visit.page.close()


def test_overview_links_every_street(browser, maps) -> None:
    visit = Visit(browser, maps["online"] / "index.html", offline=False)
    assert visit.errors == []
    assert visit.count("l => l.feature && l.feature.properties.fill") == 2
    html = (maps["online"] / "index.html").read_text(encoding="utf-8")
    assert 'href="W.html"' in html
    assert 'href="E.html"' in html
    visit.page.close()


def test_every_demo_map_loads_offline_with_its_features(browser, demo_run) -> None:
    import pandas as pd

    maps = demo_run / "maps"
    communities = pd.read_csv(demo_run / "coverage_by_community.csv", dtype={"street": str})
    for path in sorted(maps.glob("*.html")):
        visit = Visit(browser, path, offline=True)
        assert visit.blocked == []
        assert visit.errors == [], path.name
        if path.name != "index.html":
            code = path.stem.removesuffix("_gcj02")
            expected = int((communities["street"] == code).sum())
            assert visit.count("l => l.feature && (l.feature.properties.html || '')"
                               ".includes('circle share')") == expected
            assert visit.count("l => l instanceof L.CircleMarker") > 5
        visit.page.close()
