"""grade versions of attempts; the quick tally; double marking of cohorts

Revision ID: b3f1c2d4e5a6
Revises: 654fe2e37e37
Create Date: 2026-11-29 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'b3f1c2d4e5a6'
down_revision: str | None = '654fe2e37e37'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('grades',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('grader', sa.String(length=40), nullable=False),
    sa.Column('rubric_version_id', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], name=op.f('fk_grades_attempt_id_attempts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_grades_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['rubric_version_id'], ['scenario_versions.id'], name=op.f('fk_grades_rubric_version_id_scenario_versions'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grades')),
    sa.UniqueConstraint('attempt_id', 'number', name=op.f('uq_grades_attempt_id_number'))
    )
    with op.batch_alter_table('grades', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grades_attempt_id'), ['attempt_id'], unique=False)
    # Plain ALTER TABLE (SQLite has it): a batch copy of `attempts` would drop the old table,
    # and with foreign keys on, SQLite deletes the rows that cascade from it (the reviews).
    op.add_column('attempts', sa.Column('tally', sa.JSON(), nullable=True))
    op.add_column('cohorts', sa.Column('double_marking', sa.Boolean(), nullable=False,
                                       server_default=sa.false()))
    op.add_column('cohorts', sa.Column('marking_threshold', sa.Float(), nullable=False,
                                       server_default='10'))
    # Every attempt graded so far keeps its score as grade 1, against its own version's rubric.
    op.execute(sa.text(
        "INSERT INTO grades (attempt_id, number, grader, rubric_version_id, data, created_at) "
        "SELECT id, 1, 'visits-forms-1', version_id, score, "
        "COALESCE(submitted_at, updated_at) FROM attempts "
        "WHERE score IS NOT NULL AND CAST(score AS TEXT) <> 'null'"))


def downgrade() -> None:
    op.drop_column('attempts', 'tally')  # SQLite 3.35+ drops a plain column in place
    op.drop_column('cohorts', 'marking_threshold')
    op.drop_column('cohorts', 'double_marking')
    with op.batch_alter_table('grades', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grades_attempt_id'))
    op.drop_table('grades')
