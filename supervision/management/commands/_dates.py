"""Argument types shared by the supervision commands."""

import argparse
import datetime


def iso_date(text: str) -> datetime.date:
    """``--date 2025-10-13``; argparse turns the error into a CommandError with this message."""
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"「{text}」不是有效日期，格式应为 YYYY-MM-DD。") from None
