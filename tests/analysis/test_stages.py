"""Stage records: a finished stage is timed and logged; an interrupted or failed one is not."""

from __future__ import annotations

import logging

import pytest

from carecircle.analysis.stages import RunRecord, StageInterrupted


def test_finished_stage_is_recorded_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    rec = RunRecord()
    with caplog.at_level(logging.INFO, logger="carecircle"), rec.stage("route"):
        pass
    assert list(rec.stages) == ["route"]
    assert rec.stages["route"] >= 0.0
    assert [r.getMessage().split(":")[0] for r in caplog.records] == ["▶ route", "  route"]


def test_interrupted_stage_is_not_recorded_nor_printed_as_done(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rec = RunRecord()
    with caplog.at_level(logging.INFO, logger="carecircle"):
        with rec.stage("snap"):
            pass
        with pytest.raises(StageInterrupted) as info, rec.stage("service areas"):
            raise KeyboardInterrupt
    assert list(rec.stages) == ["snap"]
    assert info.value.stage == "service areas"
    assert isinstance(info.value, KeyboardInterrupt)  # every Ctrl-C handler still sees it
    assert "during service areas (after " in str(info.value)
    messages = [r.getMessage() for r in caplog.records]
    assert "▶ service areas" in messages
    assert not [m for m in messages if m.startswith("  service areas:")]


def test_interrupt_in_a_nested_stage_names_the_inner_stage() -> None:
    rec = RunRecord()
    with pytest.raises(StageInterrupted) as info, rec.stage("outer"), rec.stage("inner"):
        raise KeyboardInterrupt
    assert info.value.stage == "inner"
    assert rec.stages == {}


def test_failed_stage_is_not_recorded() -> None:
    rec = RunRecord()
    with pytest.raises(ValueError, match="bad"), rec.stage("read population"):
        raise ValueError("bad")
    assert rec.stages == {}


def test_steps_without_a_terminal_yield_every_item_and_draw_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rec = RunRecord(progress=True)  # stderr is captured, not a terminal: no bar
    with rec.stage("write tables"):
        items = list(rec.steps(iter(range(5)), total=5, unit="layer", desc="gpkg"))
    assert items == [0, 1, 2, 3, 4]
    err = capsys.readouterr().err  # (log lines may reach it through other tests' handlers)
    assert "\r" not in err
    assert "gpkg" not in err  # no bar drawn


def test_every_ticker_stops_when_its_stage_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from carecircle.analysis import stages

    monkeypatch.setattr(stages, "show_progress", lambda progress: progress)  # as on a terminal
    rec = RunRecord(progress=True)
    before = threading.active_count()
    with rec.stage("outer"):
        with rec.stage("inner"):
            assert threading.active_count() == before + 1  # one line drawn at a time
        with pytest.raises(StageInterrupted), rec.stage("stopped"):
            raise KeyboardInterrupt
    assert threading.active_count() == before
    assert list(rec.stages) == ["inner", "outer"]


def test_stage_in_two_parts_is_recorded_once_with_both_parts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import time

    rec = RunRecord()
    with caplog.at_level(logging.INFO, logger="carecircle"):
        with rec.stage("service areas", continues=True):
            time.sleep(0.05)
        assert rec.stages == {}  # begun, not done
        with rec.stage("indicators"):
            time.sleep(0.1)
        with rec.stage("service areas"):
            time.sleep(0.05)
    assert list(rec.stages) == ["indicators", "service areas"]
    assert 0.1 <= rec.stages["service areas"] < rec.stages["indicators"] + 0.1
    assert rec.stages["indicators"] >= 0.1
    messages = [r.getMessage() for r in caplog.records]
    done = [m for m in messages if m.startswith("  service areas: ") and m.endswith(" s")]
    assert len(done) == 1  # printed as done once, at the end of its second part
    assert messages.index(done[0]) > messages.index(next(m for m in messages if "indicators:" in m))


def test_interrupt_in_the_second_part_names_the_stage_with_both_parts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import time

    rec = RunRecord()
    with caplog.at_level(logging.INFO, logger="carecircle"):
        with rec.stage("service areas", continues=True):
            time.sleep(0.05)
        with rec.stage("indicators"):
            pass
        with pytest.raises(StageInterrupted) as info, rec.stage("service areas"):
            raise KeyboardInterrupt
    assert info.value.stage == "service areas" and info.value.seconds >= 0.05
    assert list(rec.stages) == ["indicators"]
    messages = [r.getMessage() for r in caplog.records]
    assert not [m for m in messages if m.startswith("  service areas:") and m.endswith(" s")]


def test_a_stage_in_three_parts_adds_them_and_logs_begun_continued_done(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # the audit's service areas: started before the cells' snap, again after the route,
    # waited for last
    import time

    rec = RunRecord()
    with caplog.at_level(logging.INFO, logger="carecircle"):
        for part in range(3):
            with rec.stage("service areas", continues=part < 2):
                time.sleep(0.04)
            if part < 2:
                assert "service areas" not in rec.stages
                with rec.stage(("route", "indicators")[part]):
                    time.sleep(0.01)
    assert list(rec.stages) == ["route", "indicators", "service areas"]
    assert rec.stages["service areas"] >= 0.12
    messages = [r.getMessage() for r in caplog.records if "service areas:" in r.getMessage()]
    assert [m.split(":")[1].split()[0] for m in messages] == [
        "begun",
        "continued",
        f"{rec.stages['service areas']:.2f}",
    ]
