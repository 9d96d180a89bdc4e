"""Bad-input cases of the accessibility scores (AC1, AC2): the supply column of the profile."""

from __future__ import annotations

from corpus_tools import Case, csv_frame
from input_breakers import profile_edit

AC2_SUPPLY = 'supply = "beds"'  # AC2's line in the shanghai profile (AC1 takes floor_area_m2)

ACCESS_CASES = [
    Case(
        "access-supply-unknown-column",
        "accessibility score (AC2) with a supply column carecircle does not have (`places`)",
        profile_edit(AC2_SUPPLY, 'supply = "places"'),
        2,
        ("[indicators.AC2] supply = 'places'; allowed columns: floor_area_m2, beds",),
    ),
    Case(
        "access-supply-type-not-counted",
        "accessibility supply given per type for a type the score does not count",
        profile_edit(AC2_SUPPLY, 'supply = { meal_point = "beds" }'),
        2,
        ("supply gives a column for meal_point, a type this indicator does not count",),
    ),
    Case(
        "access-supply-type-lacks-column",
        'accessibility supply `day_care = "beds"` but the day-care facilities\' table has no '
        "beds column",
        lambda f: (
            profile_edit(
                AC2_SUPPLY,
                'supply = { day_care = "beds", embedded_care = "beds", '
                'comprehensive_centre = "beds" }',
            )(f),
            csv_frame(lambda df: df.drop(columns=["beds"]))(f),
        ),
        2,
        (
            "mine.toml: [indicators.AC2] supply gives beds for day_care, but no day_care facility "
            "has a beds column "
            "(facilities.csv)",
            "add the column",
        ),
    ),
]
