"""worlds whose region was stored with decimal digits other than 0-9 get it in 0-9

Revision ID: e5b8c2d4f6a1
Revises: d4f7a1c9e2b5
Create Date: 2026-11-30 21:10:00
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'e5b8c2d4f6a1'
down_revision: str | None = 'd4f7a1c9e2b5'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WORLDS = sa.table('worlds', sa.column('id', sa.Integer), sa.column('region', sa.String(6)),
                  sa.column('spec', sa.JSON))


def ascii_region(region: str) -> str | None:
    """The region in 0-9 when every character is a decimal digit of some script (full-width
    ０-９, Arabic-Indic, Devanagari...), else None. Until session 15 a region was checked with
    str.isdigit, which took these (and superscripts such as ¹², which are not decimal digits
    and stay as they are: what was meant by them is a guess; such a world's pages keep saying
    that its region is not a region code)."""
    if region.isascii() or not all(unicodedata.category(ch) == 'Nd' for ch in region):
        return None
    return ''.join(str(unicodedata.decimal(ch)) for ch in region)


def upgrade() -> None:
    connection = op.get_bind()
    for world_id, region, spec in connection.execute(sa.select(WORLDS.c.id, WORLDS.c.region,
                                                               WORLDS.c.spec)).all():
        fixed = ascii_region(region or '')
        if fixed is not None:
            connection.execute(sa.update(WORLDS).where(WORLDS.c.id == world_id).values(
                region=fixed, spec={**(spec or {}), 'region': fixed}))


def downgrade() -> None:
    """Nothing to undo: the digits mean what they meant."""
