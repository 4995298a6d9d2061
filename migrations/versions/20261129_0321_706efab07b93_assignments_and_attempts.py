"""assignments and attempts

Revision ID: 706efab07b93
Revises: a20a832438d3
Create Date: 2026-11-29 03:21:15.210685
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '706efab07b93'
down_revision: str | None = 'a20a832438d3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.Enum('practice', 'exam', name='mode', native_enum=False, length=20), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_assignments_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_assignments_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['version_id'], ['scenario_versions.id'], name=op.f('fk_assignments_version_id_scenario_versions'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignments'))
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignments_cohort_id'), ['cohort_id'], unique=False)

    op.create_table('attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('trainee_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('seed', sa.BigInteger(), nullable=False),
    sa.Column('steps', sa.JSON(), nullable=False),
    sa.Column('forms', sa.JSON(), nullable=False),
    sa.Column('register', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('in_progress', 'submitted', name='attemptstatus', native_enum=False, length=20), nullable=False),
    sa.Column('score', sa.JSON(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_attempts_assignment_id_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['trainee_id'], ['users.id'], name=op.f('fk_attempts_trainee_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['scenario_versions.id'], name=op.f('fk_attempts_version_id_scenario_versions'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attempts'))
    )
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attempts_assignment_id'), ['assignment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attempts_trainee_id'), ['trainee_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attempts_trainee_id'))
        batch_op.drop_index(batch_op.f('ix_attempts_assignment_id'))

    op.drop_table('attempts')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignments_cohort_id'))

    op.drop_table('assignments')
