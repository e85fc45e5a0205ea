"""When a chat was last active, as the sidebar groups and labels it: Today, Yesterday, Previous 7 days,
Older (pinned chats first, in a group of their own), and a short time on each row: "14:05" today, the
weekday within the week ("Mon"), a date before that ("12 Mar", "12 Mar 2024" in another year).

Days are calendar days in the clock's time zone, so "Yesterday" begins at midnight, not 24 hours ago.
``now`` is passed in (tests use fixed clocks); an aware ``now`` decides the time zone, a naive one means
the computer's own.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Protocol, TypeVar

PINNED, TODAY, YESTERDAY, WEEK, OLDER = "Pinned", "Today", "Yesterday", "Previous 7 days", "Older"
GROUPS = (PINNED, TODAY, YESTERDAY, WEEK, OLDER)  # the order they are shown in
WEEK_DAYS = 7
# English names, not strftime's %a/%b: those follow the C library's locale, which Qt may have changed.
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class Dated(Protocol):
    updated_at: float
    pinned: bool


T = TypeVar("T", bound=Dated)


@dataclass(frozen=True)
class Group:
    name: str
    items: list


def _local(timestamp: float, now: datetime) -> datetime:
    return datetime.fromtimestamp(timestamp, now.tzinfo) if now.tzinfo else datetime.fromtimestamp(timestamp)


def days_ago(timestamp: float, now: datetime) -> int:
    """Calendar days between ``timestamp`` and ``now``: 0 today, 1 yesterday; a time ahead of the clock
    (another computer's, an import) counts as today."""
    return max(0, (now.date() - _local(timestamp, now).date()).days)


def group_of(timestamp: float, now: datetime) -> str:
    days = days_ago(timestamp, now)
    if days == 0:
        return TODAY
    if days == 1:
        return YESTERDAY
    return WEEK if days <= WEEK_DAYS else OLDER


def time_label(timestamp: float, now: datetime) -> str:
    """The row's time: the clock time today, the weekday this past week, else the date."""
    when = _local(timestamp, now)
    days = days_ago(timestamp, now)
    if days == 0:
        return f"{when.hour:02d}:{when.minute:02d}"
    if days <= WEEK_DAYS - 1:  # a weekday name a week back would name today's weekday: a date instead
        return _DAYS[when.weekday()]
    date = f"{when.day} {_MONTHS[when.month - 1]}"
    return date if when.year == now.year else f"{date} {when.year}"


def full_time(timestamp: float, now: datetime) -> str:
    """The whole date and time, for a tooltip."""
    when = _local(timestamp, now)
    return f"{_DAYS[when.weekday()]} {when.day} {_MONTHS[when.month - 1]} {when.year}, {when.hour:02d}:{when.minute:02d}"


def grouped(items: Iterable[T], now: datetime) -> list[Group]:
    """``items`` in their groups, in the groups' order, each group keeping the items' own order; empty
    groups are left out."""
    groups: dict[str, list] = {name: [] for name in GROUPS}
    for item in items:
        groups[PINNED if item.pinned else group_of(item.updated_at, now)].append(item)
    return [Group(name, members) for name, members in groups.items() if members]


def seconds_to_next_day(now: datetime) -> float:
    """How long until the groups change on their own: the next midnight (a second after it)."""
    tomorrow = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), now.tzinfo)
    return max(1.0, (tomorrow - now).total_seconds() + 1.0)
