"""Gap maps in a real browser (Debian's Chromium driven by Playwright)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from carecircle.maps.style import FACILITY_COLOURS
from carecircle.scripts.cli import main
from carecircle.vocabulary import facility_label

from mini_district import MiniDistrict, write_mini_study

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HOSTILE = "<img src=x onerror=alert(1)>"
STATIC = Path(__file__).resolve().parents[2] / "maps" / "static"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI: `make test` installs it (Debian chromium)")
        pytest.skip("Debian chromium not installed (make test installs it)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


@pytest.fixture(scope="module")
def maps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("browser")
    district = MiniDistrict()
    district.facilities = [
        *district.facilities,
        {
            "id": "X1",
            "name": HOSTILE,
            "type": "service_station",
            "x": 300.0,
            "y": 700.0,
            "floor_area_m2": 100,
            "beds": 0,
            "nursing_beds": 0,
        },
    ]
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
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
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

    def box(self, selector: str) -> tuple[float, float, float, float]:
        """Page pixels (left, top, right, bottom) of the first element matching ``selector``."""
        r = self.page.locator(selector).first.bounding_box()
        return r["x"], r["y"], r["x"] + r["width"], r["y"] + r["height"]

    def layer_boxes(self, script: str) -> list[tuple[float, float, float, float]]:
        """Page pixels of the bounds of every layer for which ``script`` is true."""
        return [
            tuple(b)
            for b in self.page.evaluate(
                "(test) => { const m = Object.values(window).find(v => v instanceof L.Map);"
                " const o = m.getContainer().getBoundingClientRect(); const out = [];"
                " m.eachLayer(l => { if (eval(test)(l) && l.getBounds) { const b = l.getBounds();"
                " const nw = m.latLngToContainerPoint(b.getNorthWest());"
                " const se = m.latLngToContainerPoint(b.getSouthEast());"
                " out.push([o.left + nw.x, o.top + nw.y, o.left + se.x, o.top + se.y]); } });"
                " return out; }",
                script,
            )
        ]

    def count(self, script: str) -> int:
        return self.page.evaluate(
            "(test) => { const m = Object.values(window).find(v => v instanceof L.Map);"
            " let n = 0; m.eachLayer(l => { if (eval(test)(l)) n++; }); return n; }",
            script,
        )


def test_street_maps_load_without_errors_and_show_every_feature(browser, maps, tmp_path) -> None:
    # facilities within ~1 km of the street are drawn: all four of the mini district
    for name, communities, facilities in (("W.html", 2, 4), ("E.html", 2, 4)):
        visit = Visit(browser, maps["online"] / name, offline=False)
        assert visit.errors == []
        assert visit.count("l => l instanceof L.CircleMarker") == facilities
        assert (
            visit.count(
                "l => l.feature && (l.feature.properties.html || '').includes('circle share')"
            )
            == communities
        )
        visit.page.screenshot(path=str(tmp_path / f"{name}.png"))
        assert (tmp_path / f"{name}.png").stat().st_size > 10_000
        visit.page.close()


def test_layer_control_toggles_a_layer(browser, maps) -> None:
    visit = Visit(browser, maps["online"] / "E.html", offline=False)  # E has uncovered cells
    uncovered = "l => l.feature && (l.feature.properties.label || '').startsWith('未覆盖')"
    before = visit.count(uncovered)
    assert before > 0
    visit.page.hover(".leaflet-control-layers")
    label = visit.page.locator(
        ".leaflet-control-layers-overlays label", has_text="未覆盖老年人 Uncovered older residents"
    )
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


#: the coordinates of every community drawn on a page (its GeoJSON, as decoded there)
COMMUNITY_COORDINATES = (
    "() => { const m = Object.values(window).find(v => v instanceof L.Map); const out = [];"
    " m.eachLayer(l => { if (l.feature && (l.feature.properties.html || '')"
    ".includes('circle share')) { out.push(l.feature.geometry.coordinates); } });"
    " return out.flat(Infinity); }"
)


def test_a_gcj02_page_shifts_the_shapes_as_python_does(browser, maps) -> None:
    """Both pages of a street carry the same WGS84 data; the GCJ-02 page shifts it itself."""
    import numpy as np

    from carecircle.geo.crs import wgs84_to_gcj02

    pages = {}
    for name in ("E.html", "E_gcj02.html"):
        visit = Visit(browser, maps["offline"] / name, offline=True)
        assert visit.errors == []
        pages[name] = np.array(visit.page.evaluate(COMMUNITY_COORDINATES)).reshape(-1, 2)
        if name == "E_gcj02.html":  # the page's formula against Python's, all over China
            rng = np.random.default_rng(3)
            lon, lat = rng.uniform(73.0, 135.0, 500), rng.uniform(3.0, 54.0, 500)
            lon[:50] = rng.uniform(104.99, 105.01, 50)  # sqrt(|lon - 105|) bends here
            got = np.array(
                visit.page.evaluate(
                    "([xs, ys]) => xs.map((x, i) => ccGcj02(x, ys[i]))",
                    [lon.tolist(), lat.tolist()],
                )
            )
            want = np.column_stack(wgs84_to_gcj02(lon, lat))
            assert np.abs(got - want).max() < 1e-9
            assert np.abs(got - np.column_stack([lon, lat])).min() > 1e-5  # all shifted
            outside = visit.page.evaluate("() => ccGcj02(2.3522, 48.8566)")
            assert outside == [2.3522, 48.8566]
        visit.page.close()
    wgs84, gcj02 = pages["E.html"], pages["E_gcj02.html"]
    assert len(wgs84) == len(gcj02) >= 8  # two communities, each a closed ring
    shifted = np.column_stack(wgs84_to_gcj02(wgs84[:, 0], wgs84[:, 1]))
    assert np.abs(gcj02 - shifted).max() < 1e-9
    assert np.abs(gcj02 - wgs84).min() > 1e-4  # hundreds of metres in eastern China


def test_html_in_a_facility_name_is_shown_as_text(browser, maps) -> None:
    visit = Visit(browser, maps["online"] / "W.html", offline=False)
    texts = visit.page.evaluate(
        "() => { const m = Object.values(window).find(v => v instanceof L.Map); const out = [];"
        " m.eachLayer(l => { if (l.getPopup && l.getPopup()) { l.openPopup();"
        " const c = l.getPopup().getContent();"
        " out.push(typeof c === 'string' ? c : c.textContent); } }); return out; }"
    )
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


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_every_map_has_a_bilingual_title(browser, maps) -> None:
    titles = {
        "W.html": "西街道 15分钟养老服务圈缺口图 · 15-minute elder-care circle gap map",
        "E_gcj02.html": "东镇 15分钟养老服务圈缺口图 · 15-minute elder-care circle gap map"
        " · 高德 Amap",
        "index.html": "小区 Mini district 15分钟养老服务圈总览 · 15-minute elder-care circle"
        " overview",
    }
    for name, title in titles.items():
        visit = Visit(browser, maps["offline"] / name, offline=True)
        assert visit.page.title() == title
        visit.page.close()


def test_scale_bar_is_metric_and_nothing_covers_it(browser, maps) -> None:
    for name in ("W.html", "index.html"):
        visit = Visit(browser, maps["offline"] / name, offline=True)
        lines = visit.page.locator(".leaflet-control-scale-line").all_inner_texts()
        assert len(lines) == 1  # no feet or miles
        assert re.fullmatch(r"\d+ (m|km)", lines[0].strip()), lines
        scale = visit.box(".leaflet-control-scale-line")
        assert scale[2] - scale[0] > 20
        for panel in ("#cc-legend", "#cc-title"):
            assert not _overlap(scale, visit.box(panel)), (name, panel)
        visit.page.close()


def test_legend_keys_every_facility_type_drawn_in_its_colour(browser, maps) -> None:
    visit = Visit(browser, maps["offline"] / "W.html", offline=True)
    drawn = visit.page.evaluate(
        "() => { const m = Object.values(window).find(v => v instanceof L.Map); const c = [];"
        " m.eachLayer(l => { if (l instanceof L.CircleMarker) c.push(l.options.fillColor); });"
        " return c; }"
    )
    legend = visit.page.locator("#cc-legend").inner_text()
    assert "设施类型 Facility types" in legend
    for ftype in ("service_station", "day_care", "health_station"):
        assert facility_label(ftype) in legend
    assert facility_label("institution") not in legend  # none near the street
    dots = visit.page.eval_on_selector_all(
        "#cc-legend .cc-dot", "els => els.map(e => e.style.background)"
    )
    as_rgb = [
        "rgb({}, {}, {})".format(*(int(c[k : k + 2], 16) for k in (1, 3, 5)))
        for c in sorted(set(drawn))
    ]
    assert sorted(dots) == sorted(as_rgb)
    assert {FACILITY_COLOURS[t] for t in ("service_station", "day_care", "health_station")} == set(
        drawn
    )
    visit.page.close()


def test_panels_do_not_hide_the_streets(browser, maps) -> None:
    for name, test in (
        ("index.html", "l => l.feature && l.feature.properties.fill"),
        ("W.html", "l => l.feature && (l.feature.properties.html || '').includes('circle share')"),
    ):
        visit = Visit(browser, maps["offline"] / name, offline=True)
        areas = visit.layer_boxes(test)
        assert len(areas) == 2
        for panel in ("#cc-title", "#cc-legend"):
            box = visit.box(panel)
            assert not any(_overlap(box, a) for a in areas), (name, panel, box, areas)
        visit.page.close()


def test_overview_street_table_folds_away(browser, maps) -> None:
    visit = Visit(browser, maps["offline"] / "index.html", offline=True)
    table = visit.page.locator("#cc-title table")
    assert table.is_visible()
    visit.page.locator("#cc-title summary").click()
    assert not table.is_visible()
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
            assert (
                visit.count(
                    "l => l.feature && (l.feature.properties.html || '').includes('circle share')"
                )
                == expected
            )
            assert visit.count("l => l instanceof L.CircleMarker") > 5
            assert "缺口图" in visit.page.title()
            assert visit.page.locator("#cc-legend .cc-dot").count() >= 5
        else:
            assert "总览" in visit.page.title()
        assert visit.page.locator(".leaflet-control-scale-line").count() == 1
        visit.page.close()


@pytest.fixture(scope="module")
def generated_district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The benchmark's generated district (benchmarks/_city.py: ~50k network nodes, 50k
    populated cells, 10 streets, 100 communities), audited offline as `bench_audit` does."""
    import sys

    benchmarks = Path(__file__).resolve().parents[2] / "benchmarks"
    sys.path.insert(0, str(benchmarks))
    try:
        from _city import write_city
        from _city_layout import SIZES
    finally:
        sys.path.remove(str(benchmarks))
    folder = tmp_path_factory.mktemp("generated-district")
    write_city(folder / "in", SIZES["district"])
    out = folder / "out"
    assert (
        main(["-q", "audit", str(folder / "in" / "study.toml"), "--out", str(out), "--offline"])
        == 0
    )
    return out


def test_a_street_map_of_the_generated_district_loads_offline(
    browser, generated_district: Path
) -> None:
    """Issue 13: the largest street map of the generated 50k district opens offline without
    errors and shows its communities, facilities, uncovered cells and legend."""
    import pandas as pd

    maps = generated_district / "maps"
    street_maps = [p for p in maps.glob("*.html") if p.name != "index.html"]
    assert len(street_maps) == 2 * 10  # WGS84 and GCJ-02 per street
    path = max(street_maps, key=lambda p: p.stat().st_size)
    communities = pd.read_csv(
        generated_district / "coverage_by_community.csv", dtype={"street": str}
    )
    code = path.stem.removesuffix("_gcj02")
    visit = Visit(browser, path, offline=True)
    assert visit.blocked == [] and visit.errors == [], path.name
    assert (
        visit.count("l => l.feature && (l.feature.properties.html || '').includes('circle share')")
        == int((communities["street"] == code).sum())
        > 0
    )
    assert visit.count("l => l instanceof L.CircleMarker") > 10
    assert visit.count("l => l instanceof L.Polygon") > 10  # community and uncovered patches
    assert visit.page.locator("#cc-legend .cc-dot").count() >= 5
    assert visit.page.locator(".leaflet-control-scale-line").count() == 1
    visit.page.close()
