"""Roles: read-only sees the account; read-write also runs, pauses and resumes; admin also
manages users and keys."""

from __future__ import annotations

from typing import Literal

Role = Literal["admin", "read-write", "read-only"]
ROLES: tuple[Role, ...] = ("admin", "read-write", "read-only")


def can_write(role: str) -> bool:
    return role in ("admin", "read-write")
