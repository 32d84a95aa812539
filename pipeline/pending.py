"""Reviews made while another process held the database, waiting for its next writer.

DuckDB lets one process write a file, and the nightly run holds it for as long as it runs. A
review made meanwhile (`callqa review`, the form of `callqa ui`) is appended as a JSON line to
`<db>.pending-reviews.jsonl`; the next read-write open of the database (store.py) stores the
waiting reviews and empties the file. An flock keeps an append and a drain apart; the file is
emptied, never removed, so an append waiting for the lock never lands in a removed file. Each
review's id makes a review stored twice (a crash between the commit and the emptying) count once.
"""
from __future__ import annotations

import fcntl
import json
import os
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Callable, Sequence

from .domain import Review


def queue_path(db: Path) -> Path:
    return db.with_name(f"{db.name}.pending-reviews.jsonl")


def queue(db: Path, review: Review) -> Path:
    """Append the review to the database's queue, on disk before this returns."""
    path = queue_path(db)
    line = json.dumps({**asdict(review), "reviewed_at": review.reviewed_at.isoformat()}, ensure_ascii=False)
    with open(path, "a", encoding="utf-8") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.write(line + "\n")
        f.flush()
        os.fsync(f.fileno())
    return path


def drain(db: Path, store: Callable[[Sequence[Review]], None]) -> int:
    """Store the waiting reviews with `store` (one transaction), then empty the queue."""
    path = queue_path(db)
    if not path.exists() or not path.stat().st_size:
        return 0
    with open(path, "r+", encoding="utf-8") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        reviews = []
        for line in f.read().splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:  # an append cut short by a crash: never acknowledged
                continue
            reviews.append(Review(**{**row, "reviewed_at": datetime.fromisoformat(row["reviewed_at"])}))
        if reviews:
            store(reviews)
        f.truncate(0)
        f.flush()
        os.fsync(f.fileno())
    return len(reviews)
