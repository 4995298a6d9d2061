"""map tasks and drawings

Revision ID: 92c3975ae17e
Revises: b0b81266b7b5
Create Date: 2026-11-29 05:19:11.505610
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '92c3975ae17e'
down_revision: str | None = 'b0b81266b7b5'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('map_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('world_id', sa.Integer(), nullable=False),
    sa.Column('grid', sa.Integer(), nullable=False),
    sa.Column('area', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=40), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_map_tasks_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_map_tasks_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['world_id'], ['worlds.id'], name=op.f('fk_map_tasks_world_id_worlds'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_map_tasks')),
    sa.UniqueConstraint('cohort_id', 'world_id', 'grid', 'area', name=op.f('uq_map_tasks_cohort_id_world_id_grid_area'))
    )
    with op.batch_alter_table('map_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_map_tasks_cohort_id'), ['cohort_id'], unique=False)

    op.create_table('map_drawings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('trainee_id', sa.Integer(), nullable=False),
    sa.Column('geojson', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('in_progress', 'submitted', name='drawingstatus', native_enum=False, length=20), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('saves', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['task_id'], ['map_tasks.id'], name=op.f('fk_map_drawings_task_id_map_tasks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['trainee_id'], ['users.id'], name=op.f('fk_map_drawings_trainee_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_map_drawings')),
    sa.UniqueConstraint('task_id', 'trainee_id', name=op.f('uq_map_drawings_task_id_trainee_id'))
    )
    with op.batch_alter_table('map_drawings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_map_drawings_task_id'), ['task_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_map_drawings_trainee_id'), ['trainee_id'], unique=False)

    # ### end Alembic commands ###


def downgrade() -> None:
    with op.batch_alter_table('map_drawings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_map_drawings_trainee_id'))
        batch_op.drop_index(batch_op.f('ix_map_drawings_task_id'))

    op.drop_table('map_drawings')
    with op.batch_alter_table('map_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_map_tasks_cohort_id'))

    op.drop_table('map_tasks')
    # ### end Alembic commands ###
