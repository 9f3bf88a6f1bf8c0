"""Limit/offset pagination shared by every list endpoint and command."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")

MAX_LIMIT = 500


class PageParams(BaseModel):
    """Which slice of a list to return."""

    limit: int = Field(default=50, ge=1, le=MAX_LIMIT)
    offset: int = Field(default=0, ge=0)


class Page(BaseModel, Generic[T]):
    """One page of results and the total that matched."""

    items: list[T]
    total: int
    limit: int
    offset: int
