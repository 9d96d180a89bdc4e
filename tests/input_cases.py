"""Bad-input cases of issue 14 (inputs): duplicates, units, rasters, encodings, CRS, sheets.

Cases that finish check their numbers against the unbroken mini district (``verify``): a
recovered input must give the same street table, not just exit 0.
"""

from __future__ import annotations

from corpus_tools import Case, edit, gpkg, raster, set_cell
from input_breakers import (
    area_cells,
    area_header,
    cgcs2000,
    circle_value,
    copy_row,
    empty_polygon,
    facility_rows,
    gbk_shapefiles,
    grow_across,
    huge_raster,
    int16,
    names_read,
    north,
    notes_first,
    older_nodata,
    older_over_one_cell,
    profile_edit,
    projected_xy,
    same_places,
    same_streets,
    sheet_named,
    shift_network,
    study_encoding,
    swap_rasters,
    two_bands,
    two_header_rows,
    west_network_east_facilities,
)

INPUT_CASES = [
    # --- facilities listed twice ---
    Case(
        "exact-duplicate-facility",
        "a facility listed twice under a new id (same type, point, area, beds)",
        facility_rows(copy_row(0, "F9")),
        2,
        ("row 5 (F9) repeats row 2 (F1)", "remove the repeated row"),
    ),
    Case(
        "near-duplicate-facility",
        "two facilities of one type 5 m apart (warning with the m² the second adds)",
        facility_rows(copy_row(0, "F9", lat=north(5.0), floor_area_m2="250")),
        0,
        ("look like the same facility listed twice", "adds 250 m² of floor area"),
    ),
    # --- units ---
    Case(
        "area-header-wan-m2",
        "floor-area header in 万平方米 (`建筑面积（万平方米）` = 0.03) is converted",
        facility_rows(area_header("建筑面积（万平方米）", 1e-4)),
        0,
        ("is in 万平方米: floor areas multiplied by 10,000",),
        verify=same_streets,
    ),
    Case(
        "area-header-mu",
        "floor-area header in 亩 is converted (1 亩 = 666.7 m²)",
        facility_rows(area_header("建筑面积（亩）", 15.0 / 10_000.0)),
        0,
        ("is in 亩: floor areas multiplied by 666.667",),
        verify=same_streets,
    ),
    Case(
        "area-header-unknown-unit",
        "floor-area header in a unit carecircle does not know (平方英尺)",
        facility_rows(area_header("建筑面积（平方英尺）", 10.764)),
        2,
        ("'建筑面积（平方英尺）' is in 平方英尺, a unit carecircle does not convert",),
    ),
    Case(
        "area-cells-with-units",
        "floor areas `３００㎡`, `0.05万平方米`, `２00 m²` (full-width digits, units) are read",
        facility_rows(area_cells),
        0,
        ("3 cells of column floor_area_m2 carry a unit, converted",),
        verify=same_streets,
    ),
    Case(
        "area-infinite",
        "floor area `inf`",
        set_cell(1, "floor_area_m2", "inf"),
        2,
        ("row 3 column floor_area_m2 = 'inf' is not a finite number",),
    ),
    # --- population rasters ---
    Case(
        "rasters-swapped",
        "residents and older-residents rasters swapped (older > residents)",
        swap_rasters,
        2,
        ("hold more older residents", "look swapped or of the wrong band"),
    ),
    Case(
        "older-over-residents-one-cell",
        "one cell with more older residents than residents (warning)",
        raster("older.tif", older_over_one_cell),
        0,
        ("1 cell of 119 populated cells holds more older residents", "older share exceeds 100 %"),
    ),
    Case(
        "nodata-in-one-raster",
        "nodata in the older-residents raster where residents live (warning)",
        raster("older.tif", older_nodata),
        0,
        ("older.tif: 2 nodata cells hold 200 persons in residents.tif",),
    ),
    Case(
        "multiband-unnamed",
        "a two-band raster (residents, older) without the band named",
        lambda f: two_bands(f, named=False),
        2,
        ("pop.tif: the raster has 2 bands", 'residents = { file = "pop.tif", band = 2 }'),
    ),
    Case(
        "multiband-named",
        'a two-band raster read by band (`{ file = "pop.tif", band = 2 }`)',
        lambda f: two_bands(f, named=True),
        0,
        (),
        verify=same_streets,
    ),
    Case(
        "raster-int16-nodata",
        "int16 rasters with nodata (LandScan, census grids) are read",
        lambda f: (raster("residents.tif", int16)(f), raster("older.tif", int16)(f)),
        0,
        (),
        verify=same_streets,
    ),
    Case(
        "raster-far-larger",
        "a raster far larger than the boundaries is read by window (issue 13)",
        huge_raster,
        0,
        ("(the window over the boundaries)",),
        verify=same_streets,
    ),
    # --- boundaries ---
    Case(
        "shapefile-gbk-no-cpg",
        "GBK shapefiles without .cpg: names read as GB18030 (warning)",
        gbk_shapefiles,
        0,
        ("no .cpg file: the text was read as GBK/GB18030",),
        verify=names_read,
    ),
    Case(
        "empty-polygon",
        "a community with an empty polygon",
        gpkg("communities.gpkg", empty_polygon),
        2,
        ("feature 4 (E-N) has an empty polygon", "draw its boundary"),
    ),
    Case(
        "community-overlaps-other-street",
        "a community reaching 200 m into the next street over its community: "
        "cells stay in their street",
        gpkg("communities.gpkg", grow_across(200.0, shrink_neighbour=False)),
        0,
        ("overlap",),
        absent=("reaches beyond its street",),
        verify=same_streets,
    ),
    Case(
        "community-beyond-street",
        "a community reaching 200 m into the next street (residents moved)",
        gpkg("communities.gpkg", grow_across(200.0, shrink_neighbour=True)),
        2,
        ("community W-S of street W lie in street E", "clip the communities"),
    ),
    # --- network ---
    Case(
        "network-far-away",
        "a network 1° away from the boundaries",
        shift_network,
        2,
        ("no populated cell lies within max_snap_m", "covers another area"),
    ),
    Case(
        "facilities-off-network",
        "every facility off the network (no datum hint)",
        west_network_east_facilities,
        0,
        ("3 facilities are farther than 100 m",),
        absent=("BD-09", "GCJ-02"),
    ),
    # --- study file ---
    *(
        Case(
            f"circle-{key}-{value}".replace("_", "-"),
            f"`{key} = {value}`",
            circle_value(key, value),
            2,
            (f"[circle] {key} = {value}",),
        )
        for key, value in (
            ("minutes", "nan"),
            ("walk_speed_m_s", "nan"),
            ("max_snap_m", "nan"),
            ("max_snap_m", "inf"),
            ("walk_speed_m_s", "0"),
            ("max_snap_m", "-5"),
        )
    ),
    Case(
        "profile-negative-target",
        "profile with S2 target −50",
        profile_edit("target = 50.0", "target = -50.0"),
        2,
        ("[indicators.S2] target = -50 must be 0 or more",),
    ),
    Case(
        "profile-share-above-one",
        "profile with S1 target 1.5",
        profile_edit("[indicators.S1]\ntarget = 1.0", "[indicators.S1]\ntarget = 1.5"),
        2,
        ("[indicators.S1] target = 1.5 is a share and must lie between 0 and 1",),
    ),
    Case(
        "study-utf16",
        "study file saved as UTF-16",
        study_encoding("utf-16"),
        2,
        ("saved in UTF-16, not UTF-8; save it as UTF-8",),
    ),
    Case(
        "study-gbk",
        "study file saved as GBK",
        study_encoding("gbk"),
        2,
        ("saved in GBK/GB18030, not UTF-8; save it as UTF-8",),
    ),
    Case(
        "study-name-control-characters",
        "study name with ESC/NUL (removed before it is echoed or written)",
        edit("study.toml", 'name = "小区 Mini district"', 'name = "小区\\u001b[2J\\u0000 Mini"'),
        0,
        (),
        absent=("\x1b", "\x00"),
    ),
    Case(
        "facility-id-control-characters",
        "facility id and name with ESC (removed before they are echoed or written)",
        facility_rows(
            lambda d: d.assign(
                id=["F\x1b[2J1", "F2", "H1"], name=["\x1b[31m红", "b", "c"], community="东北社区"
            )
        ),
        0,
        ("a community other than the one", "F[2J1"),
        absent=("\x1b",),
    ),
    # --- facility CRS ---
    Case(
        "facilities-projected-xy",
        'facilities as x/y metres in CGCS2000 Gauss-Krüger (`facilities_crs = "EPSG:4548"`)',
        projected_xy(4548),
        0,
        ("read as x/y metres of EPSG:4548",),
        verify=same_places,
    ),
    Case(
        "facilities-cgcs2000",
        'facilities in CGCS2000 lon/lat (`facilities_crs = "EPSG:4490"`)',
        cgcs2000,
        0,
        (),
        verify=same_places,
    ),
    # --- XLSX ---
    Case(
        "xlsx-notes-first-sheet",
        "XLSX whose first sheet is notes: the facility sheet is found and named",
        notes_first,
        0,
        ("read sheet '设施' of 2",),
        verify=same_places,
    ),
    Case(
        "xlsx-sheet-named",
        'XLSX sheet named in the study (`{ file = "x.xlsx", sheet = "设施" }`)',
        sheet_named("设施"),
        0,
        (),
        verify=same_places,
    ),
    Case(
        "xlsx-sheet-missing",
        "XLSX sheet named in the study but absent",
        sheet_named("设备"),
        2,
        ("no sheet '设备' in the workbook; its sheets: '说明', '设施'",),
    ),
    Case(
        "xlsx-two-header-rows",
        "XLSX with two header rows (merged group headings above the columns)",
        two_header_rows,
        0,
        ("two header rows (1 and 2) read as one",),
        verify=same_places,
    ),
]
