"""Working days and the 管理办法's deadlines, with a frozen clock across real holidays."""

from datetime import date, datetime

import pytest

from hotline.clock import CHINA
from work_orders import deadlines
from work_orders.calendar import WorkCalendar


def cn(*args) -> datetime:
    return datetime(*args, tzinfo=CHINA)


@pytest.fixture
def cal():
    return WorkCalendar()


def test_adjusted_weekends_and_holidays_of_2026(cal):
    assert not cal.is_workday(date(2026, 10, 1))  # National Day
    assert not cal.is_workday(date(2026, 10, 7))
    assert cal.is_workday(date(2026, 10, 10))  # Saturday, worked in lieu (调休)
    assert cal.is_workday(date(2026, 9, 20))  # Sunday, worked in lieu
    assert not cal.is_workday(date(2026, 10, 11))  # plain Sunday
    assert cal.unknown_years == set()


def test_dispatch_within_24_hours_postponed_over_national_day(cal):
    # received on 30 September 15:00, the day before the holiday: the 24 hours resume on 8 October
    assert deadlines.dispatch_due(cn(2026, 9, 30, 15), cal) == cn(2026, 10, 8, 15)
    # an ordinary Friday morning: Monday morning
    assert deadlines.dispatch_due(cn(2026, 11, 20, 10), cal) == cn(2026, 11, 23, 10)
    # received on a Saturday: the clock starts on Monday 00:00
    assert deadlines.dispatch_due(cn(2026, 11, 21, 10), cal) == cn(2026, 11, 24, 0)
    # safety-production matters are dispatched at once (第二十一条)
    assert deadlines.dispatch_due(cn(2026, 9, 30, 15), cal, safety=True) == cn(2026, 9, 30, 16)


@pytest.mark.parametrize(
    "order_type,expected",
    [
        ("consultation", date(2026, 10, 10)),  # 3 working days: 8, 9 and the adjusted Saturday 10 October
        ("suggestion", date(2026, 10, 13)),
        ("complaint", date(2026, 10, 20)),
    ],
)
def test_handling_deadlines_count_working_days_from_receipt(cal, order_type, expected):
    due = deadlines.handling_due(cn(2026, 9, 30, 15), order_type, cal)
    assert due.astimezone(CHINA).date() == expected
    assert (due.hour, due.minute) == (23, 59)  # "within N working days" ends at the end of that day


def test_extension_is_at_most_ten_working_days(cal):
    due = deadlines.handling_due(cn(2026, 9, 30, 15), "complaint", cal)
    assert deadlines.extended_due(due, 5, cal).date() == date(2026, 10, 27)
    with pytest.raises(ValueError):
        deadlines.extended_due(due, 11, cal)
    with pytest.raises(ValueError):
        deadlines.extended_due(due, 0, cal)


def test_callback_within_five_working_days_after_completion(cal):
    # completed on 29 September: 30 September, 8, 9, 10 (adjusted Saturday) and 12 October
    assert deadlines.callback_due(cn(2026, 9, 29, 9), cal).date() == date(2026, 10, 12)


def test_unknown_year_falls_back_to_weekdays_with_a_warning(cal, caplog):
    assert cal.is_workday(date(2027, 1, 1))  # no data yet: a Friday counts as a working day
    assert not cal.is_workday(date(2027, 1, 2))
    assert cal.unknown_years == {2027}
    assert "2027年" in cal.warnings()[0]
    assert any("2027" in r.message for r in caplog.records)


def test_operator_overrides_win(cal):
    cal = WorkCalendar({date(2027, 1, 1): False, date(2026, 10, 10): False})
    assert not cal.is_workday(date(2027, 1, 1))
    assert not cal.is_workday(date(2026, 10, 10))
    assert deadlines.handling_due(cn(2026, 9, 30, 15), "consultation", cal).date() == date(2026, 10, 12)
