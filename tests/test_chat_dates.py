"""The sidebar's date groups and row times, on fixed clocks in fixed time zones."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from app.core import chat_dates
from app.core.chat_dates import OLDER, PINNED, TODAY, WEEK, YESTERDAY, group_of, grouped, time_label

TOKYO = timezone(timedelta(hours=9))
NOW = datetime(2026, 3, 18, 14, 30, tzinfo=TOKYO)  # a Wednesday afternoon


def at(*args) -> float:
    return datetime(*args, tzinfo=TOKYO).timestamp()


@dataclass
class Chat:
    title: str
    updated_at: float
    pinned: bool = False


def test_days_are_calendar_days_in_the_clocks_time_zone():
    assert group_of(at(2026, 3, 18, 0, 0, 5), NOW) == TODAY
    assert group_of(at(2026, 3, 17, 23, 59), NOW) == YESTERDAY  # 15 hours ago, but before midnight
    assert group_of(at(2026, 3, 17, 0, 0), NOW) == YESTERDAY
    assert group_of(at(2026, 3, 16, 23, 59), NOW) == WEEK
    assert group_of(at(2026, 3, 11, 9, 0), NOW) == WEEK  # seven days back
    assert group_of(at(2026, 3, 10, 23, 0), NOW) == OLDER
    assert group_of(at(2026, 3, 19, 8, 0), NOW) == TODAY  # a clock ahead of this one's: not "the future"
    # The same instant is "Today" in Tokyo and "Yesterday" in London (23:00 on the 17th there).
    instant = at(2026, 3, 18, 8, 0)
    london = NOW.astimezone(timezone.utc)
    assert group_of(instant, NOW) == TODAY and group_of(instant, london) == YESTERDAY


def test_each_row_shows_a_time_today_a_weekday_this_week_and_a_date_before():
    assert time_label(at(2026, 3, 18, 9, 5), NOW) == "09:05"
    assert time_label(at(2026, 3, 17, 22, 0), NOW) == "Tue"
    assert time_label(at(2026, 3, 15, 8, 0), NOW) == "Sun"
    assert time_label(at(2026, 3, 12, 8, 0), NOW) == "Thu"
    assert time_label(at(2026, 3, 11, 8, 0), NOW) == "11 Mar"  # "Wed" would read as today
    assert time_label(at(2026, 1, 2, 8, 0), NOW) == "2 Jan"
    assert time_label(at(2025, 12, 24, 8, 0), NOW) == "24 Dec 2025"
    assert chat_dates.full_time(at(2026, 3, 17, 22, 4), NOW) == "Tue 17 Mar 2026, 22:04"


def test_groups_come_in_order_pinned_first_and_keep_the_order_given():
    chats = [Chat("pinned old", at(2025, 1, 1, 9, 0), pinned=True), Chat("now", at(2026, 3, 18, 14, 0)),
             Chat("this morning", at(2026, 3, 18, 8, 0)), Chat("last night", at(2026, 3, 17, 23, 0)),
             Chat("monday", at(2026, 3, 16, 12, 0)), Chat("last month", at(2026, 2, 16, 12, 0))]
    groups = grouped(reversed(chats), NOW)
    assert [(g.name, [c.title for c in g.items]) for g in groups] == [
        (PINNED, ["pinned old"]), (TODAY, ["this morning", "now"]), (YESTERDAY, ["last night"]),
        (WEEK, ["monday"]), (OLDER, ["last month"])]
    assert [g.name for g in grouped([c for c in chats if not c.pinned][:3], NOW)] == [TODAY, YESTERDAY]
    assert grouped([], NOW) == []


def test_the_groups_change_at_the_next_midnight():
    assert chat_dates.seconds_to_next_day(NOW) == 9.5 * 3600 + 1
    assert chat_dates.seconds_to_next_day(datetime(2026, 3, 18, 23, 59, 59, 900_000, tzinfo=TOKYO)) == 1.1
